// Verifies the provider against its consumers' pacts (testgate verify): strategy 1 starts the
// provider on the agent (providerCommand), strategy 2 verifies a deployed one (providerUrl).
// Pacts come from pactDir, pactUrl or the broker. Writes reports/provider-verification.xml.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('providerVerification', [
        provider                     : '',
        providerUrl                  : '',
        providerCommand              : '',
        providerStatesUrl            : '',
        pactDir                      : '',
        pactUrl                      : '',
        broker                       : false,
        brokerUrl                    : '',
        consumerVersionSelectors     : '',
        includeWipPactsSince         : '',
        publishResults               : '',
        providerVersion              : '',
        providerBranch               : '',
        credentialsId                : 'pact-broker-token',
        usernamePasswordCredentialsId: '',
    ], args)
    boolean usesBroker = cfg.broker.toString() == 'true' || cfg.brokerUrl || cfg.pactUrl || env.PACT_BROKER_BASE_URL
    testgateStep.execute(cfg, [
        TESTGATE_PROVIDER                  : cfg.provider,
        TESTGATE_PROVIDER_URL              : cfg.providerUrl,
        TESTGATE_PROVIDER_COMMAND          : cfg.providerCommand,
        TESTGATE_PROVIDER_STATES_URL       : cfg.providerStatesUrl,
        TESTGATE_PACT_DIR                  : cfg.pactDir,
        TESTGATE_PACT_URL                  : cfg.pactUrl,
        TESTGATE_BROKER                    : cfg.broker,
        PACT_BROKER_BASE_URL               : cfg.brokerUrl,
        TESTGATE_CONSUMER_VERSION_SELECTORS: cfg.consumerVersionSelectors,
        TESTGATE_INCLUDE_WIP_PACTS_SINCE   : cfg.includeWipPactsSince,
        TESTGATE_PUBLISH_RESULTS           : cfg.publishResults,
        TESTGATE_PROVIDER_VERSION          : cfg.providerVersion,
        TESTGATE_PROVIDER_BRANCH           : cfg.providerBranch,
    ], [job: 'provider-verification', junit: ["${cfg.reportsDir}/provider-verification.xml"],
        commands: [[run: 'testgate verify', broker: usesBroker]]])
}
