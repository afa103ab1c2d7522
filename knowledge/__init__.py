"""The knowledge base (知识库, issue 19): law articles, Q&A entries and typical cases (典型案例), the
search a seat uses during a call, and the check of the citations in a consultation record.

A domain package: it reads and writes nothing itself. The articles and entries come through the
ports of `knowledge.ports` (the store implements them), the words through `knowledge.segment`.
"""
