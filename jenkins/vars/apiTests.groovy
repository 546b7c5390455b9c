// Runs the API tests (testgate api-tests) against an environment from envs/<env>.env, or against
// targetUrl (a blue-green candidate before switch-over). Writes reports/api.xml; with shards,
// a parallel branch per shard that `testgate ci shards` lists (it checks the count), each
// running its share (reports/api-shard-<i>.xml), balanced by the durations in the history
// that testReport keeps.

def call(Map args = [:]) {
    Map cfg = testgateStep.settings('apiTests', [
        env        : '',
        apiTests   : '',
        targetUrl  : '',
        pactDir    : '',
        shards     : '',
        historyFile: '',
    ], args)
    Map inputs = [
        TESTGATE_ENV       : cfg.env,
        TESTGATE_API_TESTS : cfg.apiTests,
        TESTGATE_TARGET_URL: cfg.targetUrl,
        TESTGATE_PACT_DIR  : cfg.pactDir,
    ]
    String dir = cfg.reportsDir
    if (cfg.shards == null || cfg.shards.toString() == '') {   // 0 is testgate's to refuse
        testgateStep.execute(cfg, inputs, [job: 'api-tests', junit: ["${dir}/api.xml"],
                                           commands: [[run: 'testgate api-tests']]])
        return
    }
    // Read-only: the durations of the last build's history balance the shards; testReport records.
    String historyFile = testgateStep.historyFile(cfg)
    testgateStep.restore(historyFile)
    inputs += [TESTGATE_SHARDS: cfg.shards, TESTGATE_HISTORY_FILE: historyFile]
    List<String> indexes = []
    // Installs testgate once, before the branches use it; testgate checks the count.
    testgateStep.execute(cfg, [TESTGATE_SHARDS: cfg.shards], [job: 'api-tests-shards', run: { ->
        indexes = testgateStep.runCommand(run: 'testgate ci shards', returnStdout: true).readLines()*.trim()
    }])
    Map branches = [:]
    for (String index in indexes) {
        String shard = index   // each branch keeps its own
        String junit = "${dir}/api-shard-${shard}.xml"
        branches["API tests ${shard}/${indexes.size()}".toString()] = {
            testgateStep.execute(cfg, inputs + [TESTGATE_SHARD_INDEX: shard, TESTGATE_API_TESTS_JUNIT: junit],
                [job: "api-tests-${shard}", junit: [junit], commands: [[run: 'testgate api-tests']]])
        }
    }
    parallel(branches)
}
