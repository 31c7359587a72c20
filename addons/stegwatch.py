"""stegwatch for mitmproxy: reveal covert marks in Anthropic, OpenAI and Gemini API traffic.

Load it by path, from a checkout or from the installed package::

    mitmdump -s addons/stegwatch.py --set stegwatch_log=audit.jsonl
    mitmdump -s "$(python -c 'import addons.stegwatch as s; print(s.__file__)')"

or run ``stegwatch run``, which adds streaming of event streams and a default log file.
Options (``--set name=value``): stegwatch_mode (audit, sanitize, block), stegwatch_log,
stegwatch_hosts, stegwatch_min_severity, stegwatch_max_body, stegwatch_sanitize_scope,
stegwatch_sanitize_min_severity, stegwatch_block_min_severity, stegwatch_fail,
stegwatch_keep_originals; `docs/options.md` describes them.

In the default audit mode the add-on changes nothing the server or the client could see;
sanitize mode rewrites marks in flight and block mode refuses requests that carry them; see
`addons.audit`.
"""

from __future__ import annotations

import sys
from pathlib import Path

# mitmproxy loads a script by path with its own directory on sys.path, not the project root,
# so `import addons` would fail from a plain checkout without this.
_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
if _PROJECT_ROOT not in sys.path:
    sys.path.insert(0, _PROJECT_ROOT)

from addons.audit import Audit  # noqa: E402 - needs the path above
from addons.contentview import ContentviewRegistration  # noqa: E402 - needs the path above

addons = [Audit(), ContentviewRegistration()]
