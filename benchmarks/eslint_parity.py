"""ESLint parity: d365lint's web-* rules against Microsoft's ESLint plug-ins.

Installs ESLint with ``@microsoft/eslint-plugin-power-apps`` (the solution
checker's web-resource rules) and ``@microsoft/eslint-plugin-sdl`` (its
``web-sdl-*`` rules) with npm into a temporary folder, runs both tools over
the same scripts — the web fixtures of this repository plus generated
scripts written the way real form scripts are — maps rule ids, and prints
per rule the findings of each tool, how many agree (same file, line and
rule), how many only one of them reports, and the wall time of each tool.

    .venv/bin/python benchmarks/eslint_parity.py [--generated 300] [--scripts FOLDER]… [--show 10] [--keep]

Needs node and npm on PATH and access to the npm registry.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("eslint@9", "@microsoft/eslint-plugin-power-apps", "@microsoft/eslint-plugin-sdl", "typescript-eslint", "typescript")
SCRIPT_SUFFIXES = (".js", ".ts")

POWER_APPS_RULES = (
    "avoid-2011-api", "avoid-browser-specific-api", "avoid-crm2011-service-odata", "avoid-crm2011-service-soap",
    "avoid-dom-form", "avoid-dom-form-event", "avoid-isactivitytype", "avoid-jquery211-library", "avoid-loadtheme",
    "avoid-modals", "avoid-ui-refreshribbon", "avoid-unpub-api", "avoid-window-top", "do-not-make-parent-assumption",
    "use-appsidepane-api", "use-async", "use-cached-webresource", "use-client-context", "use-getsecurityroleprivilegesinfo",
    "use-global-context", "use-grid-api", "use-navigation-api", "use-offline", "use-org-setting", "use-relative-uri",
    "use-utility-dialogs",
)
SDL_RULES = (
    "no-cookies", "no-document-domain", "no-document-write", "no-html-method", "no-inner-html", "no-insecure-url",
    "no-msapp-exec-unsafe", "no-postmessage-star-origin", "no-winjs-html-unsafe",
)
# ESLint core rules the solution checker's quality rules correspond to.
CORE_RULES = {
    "no-eval": "web-avoid-eval",
    "no-implied-eval": "web-avoid-eval",
    "no-new-func": "web-avoid-eval",
    "no-with": "web-avoid-with",
    "no-alert": "web-remove-alert",
    "no-console": "web-remove-console",
    "eqeqeq": "web-use-strict-equality-operators",
    "no-debugger": "web-remove-debug-script",
}
PARSE_ERROR = "web-unsupported-syntax"
BROWSER_GLOBALS = (
    "window", "document", "self", "parent", "top", "opener", "console", "alert", "confirm", "prompt", "setTimeout",
    "setInterval", "setImmediate", "execScript", "XMLHttpRequest", "ActiveXObject", "Xrm", "GetGlobalContext", "$", "jQuery",
)


def eslint_id_to_d365lint(rule_id: str | None) -> str | None:
    """The d365lint id of an ESLint rule id; a fatal parse error is the checker's unsupported-syntax issue."""
    if rule_id is None:
        return PARSE_ERROR
    if rule_id.startswith("@microsoft/power-apps/"):
        return "web-" + rule_id.rsplit("/", 1)[1]
    if rule_id.startswith("@microsoft/sdl/"):
        return "web-sdl-" + rule_id.rsplit("/", 1)[1]
    return CORE_RULES.get(rule_id)


ESLINT_CONFIG = """\
import powerApps from "@microsoft/eslint-plugin-power-apps";
import sdl from "@microsoft/eslint-plugin-sdl";
import tseslint from "typescript-eslint";

const rules = {
%(rules)s
};
const plugins = { "@microsoft/power-apps": powerApps, "@microsoft/sdl": sdl };
// The browser and Client API globals a web resource sees (core rules such as no-implied-eval need them).
const globals = Object.fromEntries(%(globals)s.map((name) => [name, "readonly"]));

export default [
  { files: ["**/*.js"], languageOptions: { ecmaVersion: 2018, sourceType: "script", globals }, plugins, rules },
  { files: ["**/*.ts"], languageOptions: { parser: tseslint.parser, sourceType: "module", globals }, plugins, rules },
];
"""


def write_eslint_config(folder: Path) -> None:
    names = [f'"@microsoft/power-apps/{r}"' for r in POWER_APPS_RULES] + [f'"@microsoft/sdl/{r}"' for r in SDL_RULES]
    names += [f'"{r}"' for r in CORE_RULES]
    lines = ",\n".join(f"  {name}: \"error\"" for name in names)
    text = ESLINT_CONFIG % {"rules": lines, "globals": json.dumps(BROWSER_GLOBALS)}
    (folder / "eslint.config.mjs").write_text(text, encoding="utf-8")


def install(folder: Path) -> None:
    (folder / "package.json").write_text('{"name": "parity", "version": "1.0.0", "private": true}\n', encoding="utf-8")
    command = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES]
    completed = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=900, check=False)
    if completed.returncode != 0:
        sys.exit(f"npm install failed ({completed.returncode}):\n{completed.stderr[-2000:]}")


# ---------------------------------------------------------------------------
# Scripts: the fixtures, and generated form scripts

NAMESPACES = ("Contoso", "Fabrikam", "Adatum", "Litware", "Northwind", "Tailspin", "Woodgrove", "Proseware")
TABLES = ("account", "contact", "opportunity", "incident", "invoice", "quote", "lead", "salesorder")
FIELDS = ("name", "telephone1", "emailaddress1", "creditlimit", "statuscode", "description", "revenue", "ownerid")

# Snippets written after real form scripts: current Client API code next to
# the legacy patterns the checker exists for. {ns} namespace, {t} table,
# {f}/{g} fields, {n} a number, {i} a unique suffix.
SNIPPETS = (
    """    onLoad{i}: function (executionContext) {{
        var formContext = executionContext.getFormContext();
        var value = formContext.getAttribute("{f}").getValue();
        if (value === null) {{
            formContext.getControl("{f}").setNotification("Please fill in {f}", "{f}_{i}");
        }}
    }},""",
    """    onChange{i}: function (executionContext) {{
        var formContext = executionContext.getFormContext();
        Xrm.WebApi.retrieveRecord("{t}", formContext.data.entity.getId(), "?$select={f},{g}").then(
            function success(result) {{ formContext.getAttribute("{g}").setValue(result.{f}); }},
            function (error) {{ Xrm.Navigation.openAlertDialog({{ text: error.message }}); }}
        );
    }},""",
    """    legacyLoad{i}: function () {{
        var name = Xrm.Page.getAttribute("{f}").getValue();
        if (name == null || name == "") {{
            alert("{f} is required");
        }}
        Xrm.Page.getControl("{g}").setDisabled(true);
    }},""",
    """    serverUrl{i}: function () {{
        var context = Xrm.Page.context;
        var url = context.getServerUrl() + "/XRMServices/2011/OrganizationData.svc/{t}Set?$select={f}";
        return url;
    }},""",
    """    syncRetrieve{i}: function (id) {{
        var req = new XMLHttpRequest();
        req.open("GET", Xrm.Utility.getGlobalContext().getClientUrl() + "/api/data/v9.2/{t}s(" + id + ")?$select={f}", false);
        req.setRequestHeader("Accept", "application/json");
        req.send();
        return JSON.parse(req.responseText);
    }},""",
    """    asyncRetrieve{i}: function (id, callback) {{
        var req = new XMLHttpRequest();
        req.open("GET", Xrm.Utility.getGlobalContext().getClientUrl() + "/api/data/v9.2/{t}s(" + id + ")", true);
        req.onreadystatechange = function () {{
            if (this.readyState === 4) {{ callback(JSON.parse(this.response)); }}
        }};
        req.send();
    }},""",
    """    soapExecute{i}: function (request) {{
        var xhr = new XMLHttpRequest();
        xhr.open("POST", Xrm.Page.context.getClientUrl() + "/XRMServices/2011/Organization.svc/web", true);
        xhr.setRequestHeader("SOAPAction", "http://schemas.microsoft.com/xrm/2011/Contracts/Services/IOrganizationService/Execute");
        xhr.send(request);
    }},""",
    """    jquerySync{i}: function (id) {{
        var result = $.ajax({{ type: "GET", url: "/api/data/v9.2/{t}s(" + id + ")", async: false }});
        return result.responseJSON;
    }},""",
    """    openRecord{i}: function (id) {{
        Xrm.Utility.openEntityForm("{t}", id);
    }},""",
    """    openRecordModern{i}: function (id) {{
        Xrm.Navigation.openForm({{ entityName: "{t}", entityId: id }});
    }},""",
    """    showHelp{i}: function () {{
        var html = "<b>" + Xrm.Page.getAttribute("{f}").getValue() + "</b>";
        document.getElementById("help_{i}").innerHTML = html;
        $("#help_{i}").html(html);
    }},""",
    """    userInfo{i}: function () {{
        var settings = Xrm.Utility.getGlobalContext().userSettings;
        var privileges = Xrm.Utility.getGlobalContext().userSettings.securityRolePrivileges;
        console.log("privileges", privileges.length);
        return settings.userId;
    }},""",
    """    orgInfo{i}: function () {{
        var lcid = Xrm.Page.context.getOrgLcid();
        var org = Xrm.Page.context.getOrgUniqueName();
        var modern = Xrm.Utility.getGlobalContext().organizationSettings.languageId;
        return lcid === modern ? org : null;
    }},""",
    """    gridRows{i}: function (gridContext) {{
        var rows = gridContext.getGrid().getSelectedRows();
        rows.forEach(function (row, index) {{
            var data = row.getData();
            console.info(index, data.getEntity().getId());
        }});
    }},""",
    """    topWindow{i}: function () {{
        var xrm = window.top.Xrm;
        if (window.parent.parent) {{ return xrm; }}
        return window.parent.Xrm;
    }},""",
    """    evaluate{i}: function (expression) {{
        setTimeout("{ns}.refresh{i}()", {n});
        return eval(expression);
    }},""",
    """    modal{i}: function (url) {{
        return window.showModalDialog(url, null, "dialogWidth:{n}px");
    }},""",
    """    legacyXml{i}: function (xml) {{
        var doc = new ActiveXObject("Microsoft.XMLDOM");
        doc.async = false;
        doc.loadXML(xml);
        return doc;
    }},""",
    """    panel{i}: function () {{
        Xrm.Panel.loadPanel("https://contoso.example/help/{t}", "Help");
    }},""",
    """    activity{i}: function () {{
        if (Xrm.Utility.isActivityType("{t}")) {{ return true; }}
        return Xrm.Utility.getEntityMetadata("{t}").then(function (m) {{ return m.IsActivity; }});
    }},""",
    """    internal{i}: function (id) {{
        var code = Xrm.Internal.getEntityCode("{t}");
        openObj(code, id);
        Mscrm.Utilities.refreshParentGrid();
    }},""",
    """    messaging{i}: function (payload) {{
        window.parent.postMessage(payload, "*");
        parent.postMessage(payload, "https://contoso.crm.dynamics.com");
    }},""",
    """    absoluteUrl{i}: function () {{
        var endpoint = "https://contoso.crm.dynamics.com/api/data/v9.2/{t}s?$top={n}";
        var insecure = "http://partner.example.com/rates";
        var xmlns = "http://www.w3.org/2001/XMLSchema-instance";
        return [endpoint, insecure, xmlns];
    }},""",
    """    webResource{i}: function () {{
        var src = Xrm.Utility.getGlobalContext().getClientUrl() + "/WebResources/contoso_/{t}.html";
        Xrm.Navigation.openWebResource("contoso_/{t}.html");
        return src;
    }},""",
    """    ribbon{i}: function (primaryControl) {{
        primaryControl.ui.refreshRibbon();
        return true;
    }},""",
    """    domEvents{i}: function () {{
        document.getElementById("{f}").addEventListener("change", {ns}.onChange{i});
        $("#{g}").click(function () {{ confirm("Continue?"); }});
    }},""",
    """    cookies{i}: function () {{
        var last = document.cookie;
        document.cookie = "last{t}=" + encodeURIComponent(last);
    }},""",
    """    offline{i}: function (id) {{
        return Xrm.Mobile.offline.retrieveRecord("{t}", id, "?$select={f}");
    }},""",
    """    withStatement{i}: function (o) {{
        with (o) {{ debugger; }}
    }},""",
    """    parentForm{i}: function () {{
        var parentDocument = window.parent.document;
        window.opener.focus();
        return parentDocument;
    }},""",
    """    compare{i}: function (a, b) {{
        if (a != b && typeof a === "string") {{ return a.localeCompare(b); }}
        return {n} === a ? 0 : -1;
    }},""",
    """    toolkit{i}: function (id) {{
        var account = XrmServiceToolkit.Rest.Retrieve(id, "{t}Set", null, null, function () {{}}, function () {{}}, false);
        var roles = XrmServiceToolkit.Soap.GetCurrentUserRoles();
        return [account, roles];
    }},""",
)
TS_SNIPPET = """namespace {ns} {{
    export function onLoad(executionContext: Xrm.Events.EventContext): void {{
        const formContext = executionContext.getFormContext();
        const value = formContext.getAttribute("{f}").getValue();
        if (value == null) {{
            Xrm.Page.getControl("{g}").setVisible(false);
        }}
        const lcid: number = Xrm.Page.context.getOrgLcid();
        console.log(lcid);
    }}
}}
"""


def generate(folder: Path, count: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    written = []
    for number in range(count):
        ns = rng.choice(NAMESPACES) + str(number)
        if number % 10 == 9:
            text = TS_SNIPPET.format(ns=ns, f=rng.choice(FIELDS), g=rng.choice(FIELDS))
            path = folder / f"generated_{number:04d}.ts"
        else:
            strict = rng.random() < 0.4
            pool = [s for s in SNIPPETS if not (strict and "with (" in s)]
            chosen = rng.sample(pool, rng.randint(6, 14))
            body = "\n".join(
                s.format(ns=ns, t=rng.choice(TABLES), f=rng.choice(FIELDS), g=rng.choice(FIELDS), n=rng.randint(1, 900), i=k)
                for k, s in enumerate(chosen)
            )
            directive = '    "use strict";\n' if strict else ""
            text = f"var {ns} = window.{ns} || {{}};\n(function () {{\n{directive}    {ns}.handlers = {{\n{body}\n    }};\n}})();\n"
            path = folder / f"generated_{number:04d}.js"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def copy_scripts(folder: Path, sources: list[Path], prefix: str) -> list[Path]:
    copied = []
    for number, source in enumerate(sources):
        target = folder / f"{prefix}_{number:04d}_{source.name}"
        shutil.copyfile(source, target)
        copied.append(target)
    return copied


def fixture_scripts() -> list[Path]:
    """Every JS/TS script of the web fixtures and of the fixture solutions' web resources."""
    sources = sorted(p for p in (ROOT / "fixtures" / "sources").glob("web-*/**/*") if p.suffix in SCRIPT_SUFFIXES)
    return sources + sorted(p for p in (ROOT / "fixtures" / "solutions").glob("*/WebResources/**/*")
                            if p.is_file() and p.suffix == ".js")


def folder_scripts(folders: list[str]) -> list[Path]:
    """JS/TS files below the folders given with --scripts (real web resources), minified bundles left out."""
    skipped = ("node_modules", ".min.", "bundle", "dist/")
    return sorted(
        path for folder in folders for path in Path(folder).rglob("*")
        if path.is_file() and path.suffix in SCRIPT_SUFFIXES and not path.name.endswith(".d.ts")
        and not any(part in path.as_posix() for part in skipped)
    )


# ---------------------------------------------------------------------------
# Running both tools

Key = tuple[str, int, str]


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1800, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return elapsed, completed.stdout


def run_eslint(work: Path, scripts: Path, repeat: int) -> tuple[list[float], set[Key], set[str]]:
    command = ["node", str(work / "node_modules" / "eslint" / "bin" / "eslint.js"), "--format", "json", "--no-warn-ignored", str(scripts)]
    times, output = [], ""
    for _ in range(repeat):
        elapsed, output = timed(command, work)
        times.append(elapsed)
    found: set[Key] = set()
    unparsed: set[str] = set()
    for file_result in json.loads(output):
        name = Path(file_result["filePath"]).name
        for message in file_result["messages"]:
            rule = eslint_id_to_d365lint(message.get("ruleId"))
            if message.get("fatal"):
                unparsed.add(name)
            if rule is not None:
                found.add((name, 0 if rule == PARSE_ERROR else message["line"], rule))
    return times, found, unparsed


def run_d365lint(scripts: Path, repeat: int) -> tuple[list[float], set[Key]]:
    command = [sys.executable, "-m", "d365lint", "check", str(scripts), "--format", "json", "--select", "web", "--fail-on", "never"]
    times, output = [], ""
    for _ in range(repeat):
        elapsed, output = timed(command, ROOT)
        times.append(elapsed)
    found = set()
    for finding in json.loads(output)["findings"]:
        rule = finding["rule"]
        found.add((Path(finding["path"]).name, 0 if rule == PARSE_ERROR else finding["line"], rule))
    return times, found


def compare(eslint: set[Key], ours: set[Key], unparsed: set[str], show: int) -> None:
    """Per rule: findings of each tool, agreed, and what only one of them reports.

    Files ESLint could not parse (newer than ES2018) are compared only for
    web-unsupported-syntax: ESLint, like the checker, stops at the parse error.
    """
    ours = {key for key in ours if key[0] not in unparsed or key[2] == PARSE_ERROR}
    comparable = {rule for _, _, rule in eslint} | {"web-" + r for r in POWER_APPS_RULES} | {"web-sdl-" + r for r in SDL_RULES}
    comparable |= set(CORE_RULES.values()) | {PARSE_ERROR}
    ours_comparable = {key for key in ours if key[2] in comparable}
    by_rule: dict[str, dict[str, set[Key]]] = defaultdict(lambda: {"eslint": set(), "ours": set()})
    for key in eslint:
        by_rule[key[2]]["eslint"].add(key)
    for key in ours_comparable:
        by_rule[key[2]]["ours"].add(key)
    header = f"{'rule':<40} {'eslint':>7} {'d365lint':>9} {'agreed':>7} {'only-eslint':>12} {'only-d365lint':>14}"
    print(header)
    print("-" * len(header))
    totals = Counter()
    for rule in sorted(by_rule):
        e, o = by_rule[rule]["eslint"], by_rule[rule]["ours"]
        row = {"eslint": len(e), "ours": len(o), "agreed": len(e & o), "only_e": len(e - o), "only_o": len(o - e)}
        totals.update(row)
        print(f"{rule:<40} {row['eslint']:>7} {row['ours']:>9} {row['agreed']:>7} {row['only_e']:>12} {row['only_o']:>14}")
    print("-" * len(header))
    print(f"{'total':<40} {totals['eslint']:>7} {totals['ours']:>9} {totals['agreed']:>7} {totals['only_e']:>12} {totals['only_o']:>14}")
    print(f"\nfiles ESLint could not parse as ES2018 (compared for {PARSE_ERROR} only): {len(unparsed)}")
    only_e = sorted(eslint - ours_comparable)
    if only_e:
        print(f"\nonly ESLint ({len(only_e)}; first {show}):")
        for key in only_e[:show]:
            print(f"  {key[0]}:{key[1]} {key[2]}")
    only_o = sorted(ours_comparable - eslint)
    if only_o:
        print(f"\nonly d365lint ({len(only_o)}; first {show}):")
        for key in only_o[:show]:
            print(f"  {key[0]}:{key[1]} {key[2]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generated", type=int, default=300, help="number of generated scripts (default 300)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool; the median is printed")
    parser.add_argument("--show", type=int, default=15, help="how many one-sided findings to list")
    parser.add_argument("--scripts", action="append", default=[], metavar="FOLDER",
                        help="also compare on the .js/.ts files below FOLDER (repeatable), e.g. real web resources")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = parser.parse_args()
    if shutil.which("npm") is None or shutil.which("node") is None:
        print("node and npm are needed on PATH", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="d365lint-parity-"))
    try:
        print(f"installing {', '.join(PACKAGES)} into {work} …", flush=True)
        install(work)
        write_eslint_config(work)
        scripts = work / "scripts"
        scripts.mkdir()
        fixtures = copy_scripts(scripts, fixture_scripts(), "fixture")
        real = copy_scripts(scripts, folder_scripts(args.scripts), "real")
        generated = generate(scripts, args.generated, args.seed)
        lines = sum(p.read_bytes().count(b"\n") for p in scripts.iterdir())
        print(f"scripts: {len(fixtures)} fixtures + {len(real)} from --scripts + {len(generated)} generated, {lines} lines\n")
        eslint_times, eslint_found, unparsed = run_eslint(work, scripts, args.repeat)
        our_times, our_found = run_d365lint(scripts, args.repeat)
        compare(eslint_found, our_found, unparsed, args.show)
        print(f"\nwall time, median of {args.repeat} runs (process start to exit):")
        print(f"  ESLint + power-apps + sdl plug-ins: {statistics.median(eslint_times):.2f} s  (runs: "
              + ", ".join(f"{t:.2f}" for t in eslint_times) + ")")
        print(f"  d365lint --select web:             {statistics.median(our_times):.2f} s  (runs: "
              + ", ".join(f"{t:.2f}" for t in our_times) + ")")
        if args.keep:
            print(f"\nkept {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
