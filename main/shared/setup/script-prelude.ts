// The part every setup script shares: options, the root check, writing a file safely and only
// when it changes, the restart step, and the check and report to the mirror at the end. Plain
// POSIX sh (checked with shellcheck, run with dash): the hosts these run on may have neither
// bash, jq nor python3; curl is the one tool assumed, since the one-liner fetches with it.
// Pure text; no Node imports, so the window can build the same script and show its sha256.

export interface ScriptFrame {
  /** What the script sets up, for its header, e.g. "Docker Engine". */
  title: string;
  /** `http://10.0.0.5:5000`, already validated. */
  mirrorUrl: string;
  /** The runtime's name in the report: docker, containerd, podman, k3s. */
  runtime: string;
  /** The sh commands that print the runtime's version on one line (empty when absent). */
  versionCommand: string;
  /** What makes the runtime read the new files; empty when nothing needs restarting. */
  restartCommand: string;
  /** A line to print when the mirror asks clients to log in (never the password itself). */
  loginLine: string | null;
  /** The runtime's own steps, run after the prelude's functions are defined. */
  body: string;
}

/** Single-quoted for sh: safe for any text, since a single quote cannot occur unescaped inside. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function setupScript(frame: ScriptFrame): string {
  const restart = frame.restartCommand
    ? `if [ -n "$CHANGED" ]; then
  if [ "$RESTART" -eq 1 ] && [ -z "$ROOT" ]; then
    echo "Running: ${frame.restartCommand}"
    ${frame.restartCommand}
  else
    echo "To apply the change, run: ${frame.restartCommand}"
  fi
fi`
    : `if [ "$RESTART" -eq 1 ]; then echo "Nothing to restart: ${frame.title} reads the new files on its next command."; fi`;
  const login = frame.loginLine ? `echo ${shQuote(`The mirror asks for a login. Run: ${frame.loginLine}`)}` : '';
  return `#!/bin/sh
# Dockmirror: points ${frame.title} at the mirror ${frame.mirrorUrl}.
# Usage: sh setup.sh [--root DIR] [--restart]
#   --root DIR  write under DIR instead of / (image builds, chroots); no root needed then
#   --restart   restart the runtime after a change (otherwise the command is printed)
# Running it again changes nothing. It holds no secret.
set -eu

MIRROR=${shQuote(frame.mirrorUrl)}
RUNTIME=${shQuote(frame.runtime)}
ROOT=''
RESTART=0
CHANGED=''
FAILED=0
TMP_FILE=''
trap 'if [ -n "$TMP_FILE" ]; then rm -f "$TMP_FILE"; fi' EXIT

usage() {
  echo "Usage: sh $0 [--root DIR] [--restart]"
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --root)
      if [ "$#" -lt 2 ]; then echo "--root needs a folder." >&2; exit 2; fi
      ROOT=$2
      shift 2
      ;;
    --root=*) ROOT=\${1#--root=}; shift ;;
    --restart) RESTART=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "Unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
ROOT=\${ROOT%/}

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  echo "This script writes under /etc: run it as root (sudo sh $0), or give --root DIR." >&2
  exit 1
fi
if ! command -v curl >/dev/null 2>&1; then
  echo "This script needs curl to talk to the mirror; install curl first." >&2
  exit 1
fi

# Moves the finished temp file over TARGET, keeping a timestamped copy of what was there.
replace_file() {
  target=$1
  if [ -f "$target" ] && cmp -s "$TMP_FILE" "$target"; then
    rm -f "$TMP_FILE"
    TMP_FILE=''
    echo "Unchanged: $target"
    return 0
  fi
  if [ -f "$target" ]; then
    backup="$target.bak-$(date -u +%Y%m%dT%H%M%SZ)"
    cp -p "$target" "$backup"
    echo "Backup: $backup"
    # The new file keeps the old one's owner and mode.
    cp -p "$target" "$TMP_FILE.mode" && cat "$TMP_FILE" >"$TMP_FILE.mode" && mv -f "$TMP_FILE.mode" "$TMP_FILE"
  fi
  mv -f "$TMP_FILE" "$target"
  TMP_FILE=''
  CHANGED="\${CHANGED:+$CHANGED }$target"
  echo "Changed: $target"
}

${frame.body.includes('install_owned_file') ? ownedFileFunction : ''}
${frame.body}

if [ -z "$CHANGED" ] && [ "$FAILED" -eq 0 ]; then echo "Nothing to change: this host already uses $MIRROR."; fi
${restart}
${login}

# Checks the mirror from this host, then tells it what was set up (it lists connected hosts).
CHECK=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$MIRROR/v2/" 2>/dev/null) || CHECK=000
case "$CHECK" in
  200 | 401) echo "The mirror answers this host at $MIRROR." ;;
  403) ;;
  000) echo "This host cannot reach $MIRROR: check the address, a firewall on the mirror's machine, and that the mirror is running." >&2; FAILED=1 ;;
  *) echo "The mirror answered HTTP $CHECK at $MIRROR/v2/." >&2; FAILED=1 ;;
esac
VERSION=$( (${frame.versionCommand || 'true'}) 2>/dev/null || true)
HOST_NAME=$(hostname 2>/dev/null || uname -n)
if ! curl -fsS --max-time 10 --data-urlencode "hostname=$HOST_NAME" --data-urlencode "runtime=$RUNTIME" \\
  --data-urlencode "version=$VERSION" --data-urlencode "configured=$CHANGED" --data-urlencode "root=$ROOT" \\
  --data-urlencode "check=$CHECK" "$MIRROR/setup/report"; then
  echo "Could not report to the mirror; the setup itself is done." >&2
fi
if [ "$CHECK" = 403 ]; then exit 3; fi
exit "$FAILED"
`;
}

const ownedFileFunction = `# Writes stdin to TARGET, where Dockmirror owns the whole file. A file it did not write (no
# marker line) is left alone, with the text to merge by hand.
install_owned_file() {
  target=$1
  mkdir -p "$(dirname "$target")"
  TMP_FILE="$target.dockmirror-tmp.$$"
  cat >"$TMP_FILE"
  if [ -f "$target" ] && ! cmp -s "$TMP_FILE" "$target" && ! grep -q 'Written by Dockmirror' "$target"; then
    echo "$target exists and was not written by Dockmirror, so it was left as it is. Merge this into it by hand:" >&2
    cat "$TMP_FILE" >&2
    rm -f "$TMP_FILE"
    TMP_FILE=''
    FAILED=1
    return 0
  fi
  replace_file "$target"
}
`;
