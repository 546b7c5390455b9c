// Runs the API tests (testgate api-tests) against an environment from envs/<env>.env, or against
// targetUrl (a blue-green candidate before switch-over). Writes reports/api.xml; with shards > 1,
// a parallel branch per shard, each running its share (reports/api-shard-<i>.xml), balanced by
// the durations in the history that testReport keeps.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('apiTests', [
        env        : '',
        apiTests   : '',
        targetUrl  : '',
        pactDir    : '',
        shards     : 1,
        historyFile: '.testgate-history/history.json',
    ], args)
    int shards = (cfg.shards ?: 1) as int
    if (shards < 1) {
        error "apiTests: shards must be 1 or more, not ${cfg.shards}"
    }
    Map inputs = [
        TESTGATE_ENV         : cfg.env,
        TESTGATE_API_TESTS   : cfg.apiTests,
        TESTGATE_TARGET_URL  : cfg.targetUrl,
        TESTGATE_PACT_DIR    : cfg.pactDir,
        TESTGATE_SHARDS      : cfg.shards,
        TESTGATE_HISTORY_FILE: cfg.historyFile,
    ]
    if (shards == 1) {
        // no TESTGATE_SHARDS: one shard is the whole suite
        testgateStep.execute(cfg, inputs.findAll { name, value -> name != 'TESTGATE_SHARDS' },
            [job: 'api-tests', junit: "${cfg.reportsDir}/api.xml", commands: [[run: 'testgate api-tests']]])
        return
    }
    // Read-only: the durations of the last build's history balance the shards; testReport records.
    testgateStep.restore(cfg.historyFile)
    testgateInstall(cfg)   // once, before the branches use it
    Map branches = [:]
    for (int i = 1; i <= shards; i++) {
        int index = i   // each branch keeps its own
        branches["API tests ${index}/${shards}".toString()] = {
            testgateStep.execute(cfg, inputs + [TESTGATE_SHARD_INDEX: index],
                [job: "api-tests-${index}", junit: "${cfg.reportsDir}/api-shard-${index}.xml",
                 commands: [[run: 'testgate api-tests']]])
        }
    }
    parallel(branches)
}
