"""Microsoft's solution checker rules for solution metadata and plug-in registrations.

Plug-in steps, web resources, the solution manifest (root components and
missing dependencies) and form event handlers are all in the solution's
XML, so these checks need no environment: they read what the export or the
``pac solution unpack`` tree holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from d365lint.model import EventHandler, Form, PluginStep, Solution, WebResourceType
from d365lint.parsing.js_helpers import member_chain, string_value
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily
from d365lint.rules._checker import checker_rule
from d365lint.rules.base import Finding, Precision, Related, Rule, RuleContext, Severity, Target

PRACTICES = "https://learn.microsoft.com/power-apps/developer/data-platform/best-practices/business-logic/"
MISSING_DEPENDENCY = "https://learn.microsoft.com/troubleshoot/power-platform/power-apps/solutions/missing-dependency-on-solution-import"

SolutionCheck = Callable[[Solution, RuleContext], Iterator[Finding]]

# Component type codes of solution manifests.
TABLE_COMPONENT = "1"
WEB_RESOURCE_COMPONENT = "61"
# Stage 50: "post-operation (deprecated)", the CRM 4.0 post-event stage.
CRM4_STAGE = "50"


def _step_component(step: PluginStep) -> str:
    return f"step:{step.name or step.step_id}"


def _step_finding(step: PluginStep, message: str, evidence: str, related: tuple[Related, ...] = ()) -> Finding:
    return Finding(message, step.location, _step_component(step), evidence, related)


def _describe(step: PluginStep) -> str:
    entity = step.primary_entity or "any table"
    return f"'{step.name}' ({step.message or 'unknown message'} of {entity})"


# ---------------------------------------------------------------------------
# Plug-in registrations


def check_reg_no_attribute(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    for step in solution.plugin_steps:
        if step.message.lower() == "update" and not step.filtering_attributes and not step.disabled:
            yield Finding(
                message=f"Step {_describe(step)} has no filtering attributes, so it runs on every update of the row, "
                "whatever columns change: list the columns the plug-in reacts to.",
                location=step.filtering_location or step.location,
                component=_step_component(step),
                evidence="no filtering attributes",
            )


def _duplicate_key(step: PluginStep) -> tuple[object, ...]:
    plugin_type = step.plugin_type_name.split(",")[0].strip().lower()
    configuration = step.configuration.text.strip() if step.configuration else ""
    return (plugin_type, step.message.lower(), step.primary_entity, step.stage, step.mode,
            tuple(sorted(step.filtering_attributes)), configuration)


def check_duplicate_registration(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    first: dict[tuple[object, ...], PluginStep] = {}
    for step in solution.plugin_steps:
        if step.disabled or not step.plugin_type_name or not step.message:
            continue
        key = _duplicate_key(step)
        original = first.setdefault(key, step)
        if original is not step:
            yield _step_finding(
                step,
                f"Step {_describe(step)} registers the same plug-in for the same event, stage, mode and filtering "
                f"attributes as '{original.name}': the plug-in runs twice for every event. Remove one of them.",
                f"duplicate of {original.step_id or original.name}",
                (Related(f"'{original.name}' is registered here", original.location),),
            )


def _is_annotation_retrieve_multiple(step: PluginStep) -> bool:
    return step.message.lower() == "retrievemultiple" and step.primary_entity == "annotation"


def check_reg_retrieve(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    for step in solution.plugin_steps:
        if step.message.lower() in ("retrieve", "retrievemultiple") and not step.disabled \
                and not _is_annotation_retrieve_multiple(step):
            mode = "synchronous" if step.mode in ("0", "") else "asynchronous"
            yield _step_finding(
                step,
                f"Step {_describe(step)} is {mode} on a {step.message} message, which runs for every form, view, "
                "lookup and API read of the table: keep its code minimal, or use another event.",
                f"{step.message} of {step.primary_entity or 'any table'}",
            )


def check_retrieve_multiple_annotation(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    for step in solution.plugin_steps:
        if _is_annotation_retrieve_multiple(step) and not step.disabled:
            yield _step_finding(
                step,
                f"Step {_describe(step)} runs on RetrieveMultiple of notes (annotation), which the apps issue "
                "constantly (timelines, attachments, offline sync): it slows every form. Register elsewhere.",
                "RetrieveMultiple of annotation",
            )


def check_remove_inactive(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    for step in solution.plugin_steps:
        if step.disabled:
            yield _step_finding(
                step,
                f"Step {_describe(step)} is disabled: a deactivated registration still ships, confuses "
                "maintainers and can be re-enabled by accident. Remove it from the solution.",
                "disabled step",
            )


def check_crm4_event(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    for step in solution.plugin_steps:
        if step.stage == CRM4_STAGE:
            yield _step_finding(
                step,
                f"Step {_describe(step)} is registered in stage 50, the deprecated post-operation stage of "
                "Dynamics CRM 4.0: register it in stage 40 (post-operation).",
                "stage 50",
            )


# ---------------------------------------------------------------------------
# Web resources and the manifest


def check_silverlight(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    for resource in solution.web_resources:
        if resource.type is WebResourceType.SILVERLIGHT:
            yield Finding(
                message=f"Web resource '{resource.name}' is a Silverlight (XAP) application; no supported browser "
                "runs Silverlight. Rebuild it as HTML/JavaScript or a code component.",
                location=resource.location,
                component=f"webresource:{resource.name}",
                evidence="Silverlight",
            )


def check_missing_unmanaged_dependencies(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    for dependency in solution.missing_dependencies:
        if dependency.required_solution.lower() == "active":
            needed_by = f" (needed by {dependency.dependent_name})" if dependency.dependent_name else ""
            yield Finding(
                message=f"The solution depends on '{dependency.required_name}' (component type "
                f"{dependency.required_type}){needed_by}, which exists in the source environment only as an "
                "unmanaged customisation: importing the solution elsewhere fails. Add it to this solution or to a "
                "solution installed first.",
                location=dependency.location,
                component=f"solution:{solution.unique_name}",
                evidence=f"{dependency.required_type}:{dependency.required_name}",
            )


# Microsoft's own tables: no publisher prefix, or a prefix of a Microsoft first-party app.
_MICROSOFT_PREFIXES = compile_lazily(r"^(?:msdyn|msdynce|msdynmkt|msdyncrm|mspp|msfp|mserp|msevtmgt|msa|msft|adx|mspcat)_")


def _is_microsoft_table(schema_name: str) -> bool:
    name = schema_name.lower()
    return "_" not in name or bool(_MICROSOFT_PREFIXES.match(name))


def check_managed_entity_assets(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    for root in solution.root_components:
        if root.type == TABLE_COMPONENT and root.schema_name and root.behavior == "0" and _is_microsoft_table(root.schema_name):
            yield Finding(
                message=f"Table '{root.schema_name}' is Microsoft's (managed) and added with all its assets: the "
                "solution then carries every form, view and column of it and depends on whatever other solutions "
                "added to them. Add only the components you changed.",
                location=root.location,
                component=f"table:{root.schema_name.lower()}",
                evidence="behavior 0",
            )


def check_unmanaged_entity_assets(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    prefix = solution.publisher_prefix.lower()
    if not prefix:
        return
    for root in solution.root_components:
        if root.type == TABLE_COMPONENT and root.schema_name.lower().startswith(prefix + "_") and root.behavior != "0":
            yield Finding(
                message=f"Table '{root.schema_name}' belongs to this solution's publisher but is added without all "
                "its assets: components added to it later are left behind when the solution moves on. Include all "
                "assets.",
                location=root.location,
                component=f"table:{root.schema_name.lower()}",
                evidence=f"behavior {root.behavior}",
            )


# ---------------------------------------------------------------------------
# Form handlers


class _ScriptNames(NamedTuple):
    """What a library defines: dotted paths and, for leniency, the bare names of functions and properties."""

    paths: frozenset[str]
    leaves: frozenset[str]

    def defines(self, function_name: str) -> bool:
        name = re.sub(r"^(window|self|globalThis)\.", "", function_name.strip())
        return name in self.paths or name.rsplit(".", 1)[-1] in self.leaves


def _defined_names(parsed: ParsedSource) -> _ScriptNames:
    """Names a script defines: declarations, assigned member paths and object literal properties.

    Namespaces built in ways not followed here (an IIFE receiving the
    namespace object) still define their functions' bare names, which is
    what :meth:`_ScriptNames.defines` falls back to.
    """
    paths: set[str] = set()
    leaves: set[str] = set()
    for node in parsed.of("function_declaration", "generator_function_declaration", "class_declaration",
                          "variable_declarator", "method_definition"):
        name = node.child_by_field_name("name")
        if name is not None:
            paths.add(parsed.text(name))
            leaves.add(parsed.text(name))
    for node in parsed.of("assignment_expression"):
        left = node.child_by_field_name("left")
        chain = member_chain(parsed, left) if left is not None else None
        if chain:
            paths.add(".".join(chain[1:] if chain[0] in ("window", "self", "globalThis") else chain))
            leaves.add(chain[-1])
    for pair in parsed.of("pair"):
        key = pair.child_by_field_name("key")
        if key is not None:
            leaves.add(string_value(parsed, key) or parsed.text(key))
    for shorthand in parsed.of("shorthand_property_identifier"):
        leaves.add(parsed.text(shorthand))
    return _ScriptNames(frozenset(paths), frozenset(leaves))


def _library_scripts(solution: Solution, context: RuleContext, wanted: set[str]) -> dict[str, _ScriptNames | None]:
    """The names each ``wanted`` script web resource of the solution defines (None when it cannot be read)."""
    scripts: dict[str, _ScriptNames | None] = {}
    for source in solution.files:
        name = (source.web_resource or "").lower()
        if name in wanted and source.language.value in ("javascript", "typescript"):
            scripts[name] = context.script_fact(source, _defined_names)
    return scripts


def _handler_problem(handler: EventHandler, form: Form, resources: set[str], declared: set[str],
                     scripts: dict[str, _ScriptNames | None]) -> str | None:
    library = handler.library.lower()
    if library not in resources and library not in declared:
        return (f"calls {handler.function_name} from library '{handler.library}', which is neither in the solution "
                "nor declared as a missing dependency: the form shows a script error when the event fires.")
    if form.libraries and library not in {lib.text.lower() for lib in form.libraries}:
        return (f"calls {handler.function_name} from library '{handler.library}', which the form does not load "
                "(it is not among the form's libraries).")
    names = scripts.get(library)
    if names is not None and handler.function_name and not names.defines(handler.function_name):
        return (f"calls {handler.function_name}, which library '{handler.library}' does not define: the form "
                "shows a script error when the event fires.")
    return None


def check_invalid_form_handler(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    resources = {resource.name.lower() for resource in solution.web_resources}
    declared = {
        dependency.required_name.lower()
        for dependency in solution.missing_dependencies
        if dependency.required_type == WEB_RESOURCE_COMPONENT
    }
    libraries = {handler.library.lower() for form in solution.forms for handler in form.handlers if handler.enabled}
    scripts = _library_scripts(solution, context, libraries) if libraries else {}
    for form in solution.forms:
        for handler in form.handlers:
            if not handler.enabled or not handler.library:
                continue
            problem = _handler_problem(handler, form, resources, declared, scripts)
            if problem is not None:
                event = f"{handler.event} of {handler.attribute}" if handler.attribute else handler.event
                yield Finding(
                    message=f"The {event} handler of form '{form.name or form.form_id}' ({form.table}) {problem}",
                    location=handler.location,
                    component=f"form:{form.table}/{form.form_id}",
                    evidence=f"{handler.library}:{handler.function_name}",
                )


# ---------------------------------------------------------------------------
# The rules


def _rule(rule_id: str, name: str, summary: str, severity: Severity, check: SolutionCheck, **details: Any) -> Rule:
    """A rule over a solution's metadata; it reads the collections it reports in unless ``reads`` names more."""
    details.setdefault("precision", Precision.VERY_HIGH)
    details.setdefault("reads", details["reports_in"])
    return checker_rule(rule_id, name, summary, severity, check, target=Target.SOLUTION, lang="xml", **details)


_STEP = '<SdkMessageProcessingStep Name="Contoso.InvoicePlugin: {message} of {entity}">\n  <SdkMessageId>{id}</SdkMessageId>\n  {extra}\n</SdkMessageProcessingStep>'

RULES = (
    _rule(
        "meta-avoid-reg-no-attribute", "AvoidRegNoAttribute", "An Update step has no filtering attributes.",
        Severity.WARNING, check_reg_no_attribute, tags=("performance", "plug-in"),
        reports_in=("plugin_steps",),
        what="Enabled plug-in steps on the Update message whose `FilteringAttributes` is missing or empty.",
        why="Without filtering attributes the plug-in runs on every update of the row, including the many updates "
        "that do not touch the columns it cares about, which slows every save and multiplies plug-in runs.",
        fix="In the Plugin Registration Tool (or the step's XML) list the columns the plug-in reads from the target.",
        bad=_STEP.format(message="Update", entity="invoice", id="20bebb1b-ea3e-db11-86a7-000a3a5473e8",
                         extra="<FilteringAttributes></FilteringAttributes>"),
        good=_STEP.format(message="Update", entity="invoice", id="20bebb1b-ea3e-db11-86a7-000a3a5473e8",
                          extra="<FilteringAttributes>totalamount,duedate</FilteringAttributes>"),
        link=PRACTICES + "include-filtering-attributes-plugin-registration",
    ),
    _rule(
        "meta-remove-dup-reg", "RemoveDupReg", "Two steps register the same plug-in for the same event.",
        Severity.ERROR, check_duplicate_registration, tags=("performance", "plug-in"),
        reports_in=("plugin_steps",),
        what="Enabled steps with the same plug-in type, message, table, stage, mode, filtering attributes and "
        "unsecure configuration as an earlier step; the finding is on the duplicate and points at the original.",
        why="Each registration runs: the plug-in executes twice per event, doubling its cost and applying its "
        "changes twice.",
        fix="Delete the duplicate step from the solution.",
        bad=_STEP.format(message="Create", entity="invoice", id="9ebdbb1b-ea3e-db11-86a7-000a3a5473e8", extra="<Stage>40</Stage>")
        + "\n" + _STEP.format(message="Create", entity="invoice", id="9ebdbb1b-ea3e-db11-86a7-000a3a5473e8", extra="<Stage>40</Stage>"),
        good=_STEP.format(message="Create", entity="invoice", id="9ebdbb1b-ea3e-db11-86a7-000a3a5473e8", extra="<Stage>40</Stage>"),
        link=PRACTICES + "do-not-duplicate-plugin-step-registration",
    ),
    _rule(
        "meta-avoid-reg-retrieve", "AvoidRegRetrieve", "A plug-in step runs on Retrieve or RetrieveMultiple.",
        Severity.WARNING, check_reg_retrieve, tags=("performance", "plug-in"), precision=Precision.HIGH,
        reports_in=("plugin_steps",),
        what="Enabled steps on Retrieve or RetrieveMultiple (RetrieveMultiple of notes is reported by "
        "`meta-avoid-retrievemultiple-annotation` instead).",
        why="Reads are the most frequent operations: every form load, grid, lookup and API query runs the plug-in, "
        "so any cost in it multiplies across the whole app.",
        fix="Keep such plug-ins minimal and fast, or move the logic to an event that fires less often.",
        bad=_STEP.format(message="RetrieveMultiple", entity="contact", id="03bebb1b-ea3e-db11-86a7-000a3a5473e8", extra="<Mode>0</Mode>"),
        good=_STEP.format(message="Update", entity="contact", id="20bebb1b-ea3e-db11-86a7-000a3a5473e8",
                          extra="<FilteringAttributes>emailaddress1</FilteringAttributes>"),
        link=PRACTICES + "limit-registration-plugins-retrieve-retrievemultiple",
    ),
    _rule(
        "meta-avoid-retrievemultiple-annotation", "AvoidRetrieveMultipleAnnotation",
        "A plug-in step runs on RetrieveMultiple of notes (annotation).",
        Severity.ERROR, check_retrieve_multiple_annotation, tags=("performance", "plug-in"),
        reports_in=("plugin_steps",),
        what="Enabled steps on the RetrieveMultiple message of the annotation table.",
        why="The apps query notes constantly (timeline, attachments, mobile offline); a plug-in there slows every "
        "form and can break the timeline when it fails.",
        fix="Move the logic to Create/Update of annotation or to the consuming feature.",
        bad=_STEP.format(message="RetrieveMultiple", entity="annotation", id="03bebb1b-ea3e-db11-86a7-000a3a5473e8", extra="<Mode>0</Mode>"),
        good=_STEP.format(message="Create", entity="annotation", id="9ebdbb1b-ea3e-db11-86a7-000a3a5473e8", extra="<Mode>1</Mode>"),
        link="https://learn.microsoft.com/power-apps/developer/data-platform/best-practices/",
    ),
    _rule(
        "meta-remove-inactive", "RemoveInactive", "A plug-in step is disabled but still in the solution.",
        Severity.NOTE, check_remove_inactive, tags=("maintainability", "plug-in"),
        reports_in=("plugin_steps",),
        what="Steps whose state is Disabled (`StateCode` 1 or `StatusCode` 2).",
        why="Deactivated configuration ships with every import, clutters the solution and can be re-enabled by "
        "mistake.",
        fix="Remove the step from the solution (and delete it in the development environment).",
        bad=_STEP.format(message="Update", entity="invoice", id="20bebb1b-ea3e-db11-86a7-000a3a5473e8",
                         extra="<StateCode>1</StateCode>\n  <StatusCode>2</StatusCode>"),
        good="<!-- the step is removed from the solution -->",
        link="https://learn.microsoft.com/power-apps/developer/model-driven-apps/best-practices/business-logic/"
        "remove-deactivated-disabled-configurations",
    ),
    _rule(
        "meta-avoid-crm4-event", "AvoidCrm4Event", "A plug-in step uses the deprecated CRM 4.0 stage 50.",
        Severity.WARNING, check_crm4_event, tags=("upgrade-readiness", "plug-in"),
        reports_in=("plugin_steps",),
        what="Steps registered in stage 50 (post-operation, deprecated).",
        why="Stage 50 exists for plug-ins written for Dynamics CRM 4.0; it is deprecated and behaves differently "
        "from stage 40.",
        fix="Register the step in stage 40 (post-operation) and test the plug-in there.",
        bad=_STEP.format(message="Create", entity="account", id="9ebdbb1b-ea3e-db11-86a7-000a3a5473e8", extra="<Stage>50</Stage>"),
        good=_STEP.format(message="Create", entity="account", id="9ebdbb1b-ea3e-db11-86a7-000a3a5473e8", extra="<Stage>40</Stage>"),
        link="https://learn.microsoft.com/power-apps/developer/model-driven-apps/best-practices/",
    ),
    _rule(
        "meta-avoid-silverlight", "AvoidSilverlight", "The solution ships a Silverlight (XAP) web resource.",
        Severity.WARNING, check_silverlight, tags=("upgrade-readiness", "web-resource"),
        reports_in=("web_resources",), linked=("web_resources",),
        what="Web resources of type 8 (Silverlight XAP).",
        why="Silverlight is out of support and no supported browser runs it; the web resource cannot work.",
        fix="Rebuild the feature as an HTML web resource or a Power Apps component framework control.",
        bad="<WebResource>\n  <Name>contoso_/chart.xap</Name>\n  <WebResourceType>8</WebResourceType>\n</WebResource>",
        good="<WebResource>\n  <Name>contoso_/chart.html</Name>\n  <WebResourceType>1</WebResourceType>\n</WebResource>",
        link="https://learn.microsoft.com/power-platform/important-changes-coming",
    ),
    _rule(
        "meta-include-missingunmanageddependencies", "IncludeMissingUnmanagedDependencies",
        "The solution depends on components that exist only as unmanaged customisations.",
        Severity.ERROR, check_missing_unmanaged_dependencies, tags=("alm",),
        reports_in=("missing_dependencies",),
        what="`MissingDependency` entries of the manifest whose required component lives in the `Active` "
        "(unmanaged) layer of the source environment.",
        why="Such a component is in no solution the target environment can have installed, so the import fails "
        "with a missing-dependency error.",
        fix="Add the required component to this solution, or to a solution that is installed before it.",
        bad='<MissingDependency>\n  <Required type="2" schemaName="contoso_creditscore" solution="Active" />\n  <Dependent type="60" schemaName="account_main" />\n</MissingDependency>',
        good="<MissingDependencies />",
        link=MISSING_DEPENDENCY,
    ),
    _rule(
        "meta-avoid-managed-entity-assets", "AvoidManagedEntityAssets",
        "A Microsoft (managed) table is added to the solution with all its assets.",
        Severity.WARNING, check_managed_entity_assets, tags=("alm",), precision=Precision.HIGH,
        reports_in=("root_components",),
        what="Root components of type table with `behavior=\"0\"` (include all subcomponents) for Microsoft's "
        "tables: tables without a publisher prefix (`account`, `contact`) or with a Microsoft app prefix (`msdyn_`, `adx_`).",
        why="Including all assets of a managed table pulls in every form, view and column other solutions added to "
        "it, which creates missing dependencies on import and layers the solution over components it does not own.",
        fix="Add the table with *Include table metadata* off and pick only the components you changed.",
        bad='<RootComponent type="1" schemaName="account" behavior="0" />',
        good='<RootComponent type="1" schemaName="account" behavior="2" />',
        link=MISSING_DEPENDENCY,
    ),
    _rule(
        "meta-include-unmanaged-entity-assets", "IncludeUnmanagedEntityAssets",
        "A table of the solution's own publisher is added without all its assets.",
        Severity.WARNING, check_unmanaged_entity_assets, tags=("alm",), precision=Precision.HIGH,
        reports_in=("root_components",),
        what="Root components of type table whose schema name starts with the solution publisher's prefix and "
        "whose `behavior` is not 0.",
        why="A table the solution owns should travel whole: with segmented assets, forms, views or columns added "
        "later stay behind and the target environment drifts.",
        fix="Add the table with all assets (`behavior=\"0\"`).",
        bad='<RootComponent type="1" schemaName="contoso_invoice" behavior="2" />',
        good='<RootComponent type="1" schemaName="contoso_invoice" behavior="0" />',
        link=MISSING_DEPENDENCY,
    ),
    _rule(
        "meta-remove-invalid-form-handler", "RemoveInvalidFormHandler",
        "A form event handler points at a library or function the solution lacks.",
        Severity.ERROR, check_invalid_form_handler, tags=("reliability", "web-resource"), precision=Precision.HIGH,
        reports_in=("forms",), script_facts=(_defined_names,),
        reads=("forms", "web_resources", "missing_dependencies", "files"), linked=("forms", "web_resources", "files"),
        what="Enabled form event handlers whose library is neither a web resource of the solution nor a declared "
        "missing dependency, whose library is not among the form's libraries, or whose function the library's "
        "script does not define (a script whose functions hang off a namespace built in a way not followed is "
        "given the benefit of the doubt: the function's own name must appear somewhere in it).",
        why="When the event fires the form cannot find the function and shows a script error to every user.",
        fix="Fix the handler's library or function name, add the library to the form and the solution, or remove "
        "the handler.",
        bad='<Handler functionName="Contoso.Invoice.onLaod" libraryName="contoso_/scripts/invoice.js" enabled="true" />',
        good='<Handler functionName="Contoso.Invoice.onLoad" libraryName="contoso_/scripts/invoice.js" enabled="true" />',
        link="https://learn.microsoft.com/power-apps/maker/data-platform/use-powerapps-checker",
    ),
)
