#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the browser tests (never a downloaded
# browser), Noto CJK so Chinese renders in screenshots and PDFs, Arphic's 楷体 for headings, Pango for WeasyPrint (PDF
# exports), LibreOffice Writer (headless) to check that generated .docx files convert to PDF and
# ClamAV's daemon (clamd), which the malware-scanning tests start with a signature database of
# their own (tests/clamd.py; nothing is downloaded, freshclam is not needed).
# With --runtime (used by `make run`) only what the running platform needs: the CJK fonts and
# Pango for PDF exports.
set -euo pipefail
need=()
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || need+=(fonts-noto-cjk)
# 楷体 for second-level headings in PDFs: Arphic's KaitiM GB (GB2312, free licence, 2 MB); any
# character outside it falls back to Noto CJK (mofan/reports/fonts.py)
fc-list 2>/dev/null | grep -qi 'AR PL KaitiM GB' || need+=(fonts-arphic-gkai00mp)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ "${1:-}" != "--runtime" ]; then
    [ -x /usr/bin/chromium ] || need+=(chromium)
    command -v soffice >/dev/null || need+=(libreoffice-writer-nogui)
    command -v clamd >/dev/null || [ -x /usr/sbin/clamd ] || need+=(clamav-daemon)
fi
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${need[*]}. Run as root: apt-get install -y ${need[*]}" >&2
    exit 1
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
