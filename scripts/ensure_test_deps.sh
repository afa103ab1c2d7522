#!/usr/bin/env bash
# System packages the test suite needs: Debian's Chromium for the browser tests (Playwright drives
# /usr/bin/chromium; its own browser download does not work offline), espeak-ng / sox for
# prompt and audio tests, and a CJK font for screenshots. Installs them with apt-get when missing and we may (root or sudo).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
# A CJK font so that browser screenshots show Chinese rather than empty boxes.
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "缺少系统软件包：${need[*]}；请以 root 身份运行 apt-get install ${need[*]}" >&2; exit 1
  fi
fi
echo "安装系统软件包：${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
