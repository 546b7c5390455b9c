// Verifies the provider against its consumers' pacts (testgate verify): strategy 1 starts the
// provider on the agent (providerCommand), strategy 2 verifies a deployed one (providerUrl).
// Pacts come from pactDir, pactUrl or the broker. Writes reports/provider-verification.xml.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('providerVerification', [
        provider       : '',
        providerUrl    : '',
        providerCommand: '',
        pactDir        : '',
        pactUrl        : '',
        brokerUrl      : '',
        publishResults : '',
        version        : '',
        branch         : '',
        credentialsId  : 'pact-broker-token',
        usernamePasswordCredentialsId: '',
    ], args)
    boolean broker = cfg.brokerUrl || cfg.pactUrl || env.PACT_BROKER_BASE_URL
    testgateStep.execute(cfg, [
        TESTGATE_PROVIDER        : cfg.provider,
        TESTGATE_PROVIDER_URL    : cfg.providerUrl,
        TESTGATE_PROVIDER_COMMAND: cfg.providerCommand,
        TESTGATE_PACT_DIR        : cfg.pactDir,
        TESTGATE_PACT_URL        : cfg.pactUrl,
        PACT_BROKER_BASE_URL     : cfg.brokerUrl,
        TESTGATE_PUBLISH_RESULTS : cfg.publishResults,
        TESTGATE_VERSION         : cfg.version,
        TESTGATE_BRANCH          : cfg.branch,
    ], [job: 'provider-verification', junit: "${cfg.reportsDir}/provider-verification.xml",
        commands: [[run: 'testgate verify', broker: broker]]])
}
