"""A local test server that speaks the part of TestRail's API v2 that ``trcli parse_junit`` calls.

It keeps projects, suites, sections, cases, runs and results in memory and records
every request it receives (method, endpoint, query, JSON body, basic-auth user), so
tests can assert that an upload arrived intact. Start it with :func:`serve`.

Endpoints (``/index.php?/api/v2/<endpoint>``), as trcli 1.15 uses them:
get_projects, get_project, get_suites, get_suite, add_suite, get_sections,
add_section, get_cases, get_case, add_case, update_case, get_case_fields,
get_result_fields, get_case_types, get_priorities, get_templates, get_statuses,
get_current_user, add_run, get_run, update_run, get_runs, get_tests,
add_results_for_cases, close_run, add_attachment_to_result.
"""
