"""ivr: the 12348 caller's first minute over FastAGI.

`agi_server.AgiServer` serves the scripts `ivr` (`service.IvrService`) and `survey`
(`survey.SurveyService`); menus come from `menu.toml`; ports the app injects are in `ports.py`;
events in `events.py`; prompt audio from `prompts.build_prompts`.
"""
