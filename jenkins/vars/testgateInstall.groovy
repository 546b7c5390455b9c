// Installs testgate at this library's release (never from main) into a virtualenv on the agent
// and returns the virtualenv's bin directory. Every other step calls it first; it is idempotent
// and quick when that version is already there. toolsRef's default is kept equal to VERSION by a test.

/** The arguments this step takes and their defaults (the other steps take them too). */
Map defaults() {
    return [
        toolsRef       : 'v0.1.0',
        toolsRepository: 'testgate/testgate',
        pipInstall     : '',
        python         : 'python3',
        venv           : '',
    ]
}

String call(Map args = [:]) {
    Map cfg = defaults() + args.subMap(defaults().keySet())
    String ref = cfg.toolsRef
    if (!ref || ref in ['main', 'master', 'HEAD']) {
        error "testgateInstall: toolsRef '${ref}' is not a release; " +
              "pin a tag such as ${defaults().toolsRef} (input tools-ref)"
    }
    String venv = cfg.venv ?: env.TESTGATE_VENV ?: "${pwd(tmp: true)}/testgate-${ref}"
    withEnv([
        "TESTGATE_VENV=${venv}",
        "TESTGATE_TOOLS_REF=${ref}",
        "TESTGATE_TOOLS_REPOSITORY=${cfg.toolsRepository}",
        "TESTGATE_PIP_INSTALL=${cfg.pipInstall}",
        "TESTGATE_PYTHON=${cfg.python}",
    ]) {
        // Reuse a virtualenv this step made for the same ref, or one that already has that
        // version (an agent image, a cache); otherwise pip-install the tagged source.
        sh(label: 'Install testgate', script: '''
            venv="$TESTGATE_VENV"
            ref="$(cat "$venv/.testgate-ref" 2>/dev/null || true)"
            if [ "$ref" = "$TESTGATE_TOOLS_REF" ] && [ -x "$venv/bin/testgate" ]; then
              echo "testgate $TESTGATE_TOOLS_REF is installed in $venv"
            elif [ "$("$venv/bin/testgate" --version 2>/dev/null)" = "testgate ${TESTGATE_TOOLS_REF#v}" ]; then
              echo "using $venv/bin/testgate ($TESTGATE_TOOLS_REF)"
            else
              # owner/name (the other platforms' tools-repository) is a GitHub repository
              case "$TESTGATE_TOOLS_REPOSITORY" in
                *://*|*@*) url="$TESTGATE_TOOLS_REPOSITORY" ;;
                *) url="https://github.com/$TESTGATE_TOOLS_REPOSITORY.git" ;;
              esac
              "$TESTGATE_PYTHON" -m venv "$venv"
              "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \\
                "testgate @ git+$url@$TESTGATE_TOOLS_REF"
              echo "$TESTGATE_TOOLS_REF" > "$venv/.testgate-ref"
              "$venv/bin/testgate" --version
            fi
            if [ -n "$TESTGATE_PIP_INSTALL" ]; then
              # The service's own test dependencies; word splitting of the arguments is intended.
              "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $TESTGATE_PIP_INSTALL
            fi
        ''')
    }
    return "${venv}/bin"
}
