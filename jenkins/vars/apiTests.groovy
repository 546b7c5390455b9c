// Runs the API tests (testgate api-tests) against an environment from envs/<env>.env, or against
// targetUrl (a blue-green candidate before switch-over). Writes reports/api.xml.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('apiTests', [
        env      : '',
        apiTests : '',
        targetUrl: '',
    ], args)
    testgateStep.execute(cfg, [
        TESTGATE_ENV       : cfg.env,
        TESTGATE_API_TESTS : cfg.apiTests,
        TESTGATE_TARGET_URL: cfg.targetUrl,
    ], [job: 'api-tests', junit: "${cfg.reportsDir}/api.xml", commands: [[run: 'testgate api-tests']]])
}
