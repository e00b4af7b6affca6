"""Where CI already is: the pre-commit hook, the GitHub Action's steps, `listclean init`, and
shell completion, each run the way its user runs it.

The pre-commit test installs listclean from a copy of this working tree, as pre-commit does from
the repository: a fresh virtual environment, once per session. pip is told to leave the
dependencies out (PIP_NO_DEPS), and the hook finds them in this environment through PYTHONPATH:
resolving and unpacking them again took 35 s on an idle 2-core machine and over 90 s beside the
other tests, and `.ci/run`'s own `pip install` already shows they install. The Action's install
step is run on the same copy the same way; its check step runs this environment's listclean.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from listclean import precommit
from listclean.result import Severity
from listclean.settings import _PROJECT_KEYS, build_settings, policy_names

ROOT = Path(__file__).resolve().parent.parent
ACTION_SCRIPT = ROOT / ".github" / "listclean-action.sh"
HEADER = ("Customer ID,First Name,Last Name,Email Address,Phone Number,Country,Email Marketing Consent,"
          "SMS Consent,Unsubscribed,Last Activity Date,Created Date,City")
#: Rows in the style of sample_data/crm_export.csv: every one sendable by email.
GOOD = [
    "10000012,Zoë,Rogers,zoe.rogers.62@gmail.com,1-202-787-3687,US,sí,sí,no,2026-09-03,02/03/2014,Boston",
    "10000016,Emiliano,Mejía,emejia906@icloud.com,+34 637 645 893,ES,subscribed,subscribed,no,2026-08-16,11/08/2023,Cáceres",
]
#: A typo domain (warning), a refused consent and an address without an @ (errors).
BAD = [
    "10000002,Rafael,Suárez,Mailto:rafael7099@gmial.com,+34601153976,España,yes,yes,,2025-08-26,16/04/2022,A Coruña",
    "10000006,Nerea,Durán,NEREADURAN768@ONO.COM,+34690375415,ES,opted-out,opted-out,no,2026-01-18,20/11/2016,Elche",
    "10000030,Lukas,Lange,not-an-address,+49 40 46570992,DE,yes,0,,2025-09-25,05/10/2024,Düsseldorf",
]
EQUATION = re.compile(r"rows_in (\d+) = send (\d+) \+ review (\d+) \+ drop (\d+) \+ duplicate (\d+)")
#: git without the machine's or the user's configuration, and commits with fixed names and dates.
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "listclean tests",
           "GIT_AUTHOR_EMAIL": "tests@example.invalid", "GIT_COMMITTER_NAME": "listclean tests",
           "GIT_COMMITTER_EMAIL": "tests@example.invalid", "GIT_AUTHOR_DATE": "2026-11-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2026-11-01T00:00:00Z"}


def export(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args], cwd=cwd,
                          env={**os.environ, **GIT_ENV}, check=True, capture_output=True, text=True).stdout


def equation(text: str) -> list[int]:
    found = EQUATION.findall(text)
    assert found, text
    numbers = [int(n) for n in found[-1]]
    assert numbers[0] == sum(numbers[1:]), text
    return numbers


@pytest.fixture(scope="session")
def listclean_repo(tmp_path_factory) -> Path:
    """This working tree as pre-commit and the Action would fetch it once it is pushed: the tracked
    and the new, not ignored, files, committed in a repository of their own (this one's git state
    is left alone, and pip's build files land in the copy)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout
    repo = tmp_path_factory.mktemp("listclean-repo")
    for name in filter(None, listed.split(b"\0")):
        source, target = ROOT / os.fsdecode(name), repo / os.fsdecode(name)
        if not source.is_symlink() and not source.is_file():
            continue  # deleted in the working tree, not yet in a commit
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "listclean's working tree")
    return repo


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    """pre-commit's cache of hook environments, shared by the session's runs: one install."""
    return tmp_path_factory.mktemp("pre-commit-home")


#: What of this environment's site-packages the hook must not see: listclean itself (the hook
#: environment has its own, installed by pre-commit) and the installers.
NOT_DEPENDENCIES = re.compile(r"(?i)listclean|^(pip|setuptools|wheel|_distutils_hack|pkg_resources)\b")


@pytest.fixture(scope="session")
def dependencies(tmp_path_factory) -> Path:
    """A folder of links to this environment's installed packages, listclean and the installers
    left out: on PYTHONPATH, the hook environment's listclean imports its dependencies from it."""
    import sysconfig

    folder = tmp_path_factory.mktemp("dependencies")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not NOT_DEPENDENCIES.search(entry.name) and not entry.name.endswith(".pth"):
            (folder / entry.name).symlink_to(entry)
    return folder


# --------------------------------------------------------------------------------- pre-commit

def try_repo(consumer: Path, repo: Path, home: Path, dependencies: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "PIP_NO_DEPS": "1",
           "PYTHONPATH": str(dependencies)}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(repo), "listclean", *args],
                          cwd=consumer, env=env, check=False, capture_output=True, text=True, timeout=600)


def test_pre_commit_hook_checks_each_changed_export(tmp_path, listclean_repo, pre_commit_home, dependencies):
    consumer = tmp_path / "contacts"
    consumer.mkdir()
    git(consumer, "init", "-q")
    export(consumer / "exports" / "good.csv", GOOD)
    export(consumer / "exports" / "bad.csv", BAD)
    (consumer / "README.md").write_text("Our contact exports.\n")
    # The repository's own settings apply: a fixed day, so no row goes stale as time passes.
    (consumer / "listclean.toml").write_text("as-of = 2026-11-01\nstore = \"none\"\n")
    git(consumer, "add", "-A")

    # In colour, as from a terminal, pre-commit runs the hook in a pseudo-terminal: still plain lines.
    passed = try_repo(consumer, listclean_repo, pre_commit_home, dependencies, "--color", "always", "--verbose",
                      "--files", "exports/good.csv", "README.md", "listclean.toml")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "\x1b[?25l" not in passed.stdout and "listclean: normalise" not in passed.stdout, "no progress bar"
    passed.stdout = re.sub(r"\x1b\[[0-9;]*m", "", passed.stdout).replace("\r\n", "\n")
    assert re.search(r"listclean check\.+Passed", passed.stdout), passed.stdout
    assert "listclean check exports/good.csv: rows_in 2 = send 2 + review 0 + drop 0 + duplicate 0" in passed.stdout
    assert "README.md:" not in passed.stdout and "listclean.toml:" not in passed.stdout

    failed = try_repo(consumer, listclean_repo, pre_commit_home, dependencies, "--color", "never",
                      "--files", "exports/good.csv", "exports/bad.csv")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"listclean check\.+Failed", failed.stdout), failed.stdout
    # One line per file, each judged alone: the good file still sends both of its rows.
    assert "listclean check exports/good.csv: rows_in 2 = send 2 + review 0 + drop 0 + duplicate 0" in failed.stdout
    bad = next(line for line in failed.stdout.splitlines() if line.startswith("listclean check exports/bad.csv:"))
    assert equation(bad) == [3, 0, 1, 2, 0]
    assert "errors: CN002,EM002" in bad and "warnings: EM003" in bad
    assert "Traceback" not in failed.stdout + failed.stderr


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["listclean"]
    hook = hooks[0]
    assert hook["language"] == "python" and hook["entry"] == "python -m listclean.precommit"
    assert "--format" in hook["args"] and "github" not in hook["args"]
    assert not hook.get("require_serial") and hook.get("pass_filenames", True)
    files = re.compile(hook["files"])
    for name in ("a.csv", "exports/May 2026.CSV", "dump.csv.gz", "a.tsv", "crm.xlsx", "crm.xlsm", "a.parquet",
                 "a.jsonl", "a.ndjson"):
        assert files.search(name), name
    for name in ("README.md", "notes.txt", "a.csv.bak", "csv", "a.jsonl.gz", "exports.csv/README"):
        assert not files.search(name), name


@pytest.fixture
def in_process(monkeypatch):
    """precommit.main settles process-wide knobs and signal handlers as the console script does:
    give this test process its own back afterwards."""
    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    interval = sys.getswitchinterval()
    handlers = {name: signal.getsignal(getattr(signal, name)) for name in ("SIGTERM", "SIGHUP")}
    yield
    sys.setswitchinterval(interval)
    for name, handler in handlers.items():
        signal.signal(getattr(signal, name), handler)


def test_the_hook_judges_each_file_as_listclean_check_file_would(in_process, cli, tmp_path, capsys):
    """Two exports share a person (the phone): judged as one list, the stop in one reaches the
    other; the hook judges each changed file alone, so its verdict does not depend on which files a
    commit happened to touch."""
    header = "Email Address,Phone Number,Country,Email Marketing Consent,Unsubscribed,Last Activity Date\n"
    stop = tmp_path / "a.csv"
    stop.write_text(header + "rafael7099@gmail.com,+34601153976,ES,yes,yes,2026-08-26\n")
    other = tmp_path / "b.csv"
    other.write_text(header + "rafa.suarez@hotmail.com,+34 601 15 39 76,ES,yes,no,2026-09-01\n")
    options = ["--format", "summary", "--as-of", "2026-11-01", "--store", "none"]

    together = cli("check", *options, stop, other)
    assert together.exit_code == 1 and equation(together.stdout) == [2, 0, 0, 2, 0]

    assert precommit.split([*options, str(stop), str(other)]) == (options, [str(stop), str(other)])
    assert precommit.main([*options, str(stop), str(other)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"listclean check {stop}:") and equation(lines[0]) == [1, 0, 0, 1, 0]
    assert lines[1].startswith(f"listclean check {other}:") and equation(lines[1]) == [1, 1, 0, 0, 0]
    assert precommit.main([*options, str(other)]) == 0
    assert equation(capsys.readouterr().out) == [1, 1, 0, 0, 0]

    # A mistake in the hook's args is reported once, as `listclean check` reports it: status 2.
    assert precommit.main(["--format", "bogus", str(stop), str(other)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("listclean: error:") == 1
    assert precommit.main([*options, str(tmp_path / "missing.csv"), str(other)]) == 2
    captured = capsys.readouterr()
    assert "missing.csv: no such file" in captured.err and f"listclean check {other}:" in captured.out


# --------------------------------------------------------------------------------- GitHub Action

def action(step: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run a step of action.yml as the runner would: bash, inputs in the environment."""
    variables = {name: value for name, value in os.environ.items()
                 if not name.startswith(("INPUT_", "GITHUB_", "RUNNER_"))}
    return subprocess.run(["bash", str(ACTION_SCRIPT), step], cwd=cwd, env={**variables, **env},
                          check=False, capture_output=True, text=True, timeout=600)


def test_action_install_step(tmp_path, listclean_repo):
    """A virtual environment in RUNNER_TEMP, listclean from the action's own checkout
    (GITHUB_ACTION_PATH), its path in the step's outputs. pip is told to leave the dependencies
    out here (PIP_NO_DEPS), as in the pre-commit test: `.ci/run`'s own install shows they install."""
    outputs = tmp_path / "github_output"
    installed = action("install", tmp_path, RUNNER_TEMP=str(tmp_path), GITHUB_ACTION_PATH=str(listclean_repo),
                       GITHUB_OUTPUT=str(outputs), PIP_NO_DEPS="1")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert f"listclean {version('listclean')} installed in {tmp_path / 'listclean-venv'} from {listclean_repo}" in installed.stdout
    assert outputs.read_text() == f"listclean={tmp_path / 'listclean-venv' / 'bin' / 'listclean'}\n"
    assert os.access(tmp_path / "listclean-venv" / "bin" / "listclean", os.X_OK)
    installed_files = list((tmp_path / "listclean-venv").glob("lib/python3*/site-packages/listclean/policies/gdpr.toml"))
    assert len(installed_files) == 1 and installed_files[0].read_bytes() == (ROOT / "rules" / "gdpr.toml").read_bytes()


def annotations(stdout: str) -> dict[str, str]:
    """rule code → annotation level, from the ::level file=…,title=CODE name::message lines."""
    found = re.findall(r"^::(error|warning|notice) file=[^,]+(?:,line=\d+)?,title=([A-Z]{2}\d{3}) ", stdout, re.MULTILINE)
    return {code: level for level, code in found}


def test_action_annotates_an_export_and_fails_on_errors(tmp_path):
    listclean = str(console_script())
    export_file = tmp_path / "exports" / "crm_export.csv"
    export_file.parent.mkdir()
    shutil.copy(ROOT / "sample_data" / "crm_export.csv", export_file)
    summary = tmp_path / "step_summary.md"
    run = action("check", tmp_path, LISTCLEAN=listclean, INPUT_FILES="exports/*.csv",
                 INPUT_ARGS="--as-of 2026-11-01 --store none", GITHUB_STEP_SUMMARY=str(summary))
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "listclean check --format github --as-of 2026-11-01 --store none -- exports/crm_export.csv"
    found = annotations(run.stdout)
    assert found["EM002"] == "error" and found["EM003"] == "warning" and found["CN001"] == "error"
    assert re.search(r"^::error file=exports/crm_export\.csv,line=\d+,title=EM002 email-invalid::\d+ rows? ",
                     run.stdout, re.MULTILINE)
    assert equation(lines[-1])[0] == 3000 and EQUATION.fullmatch(lines[-1])
    assert lines[-1] in summary.read_text() and "see the annotations" in summary.read_text()

    lenient = action("check", tmp_path, LISTCLEAN=listclean, INPUT_FILES="exports/crm_export.csv",
                     INPUT_FAIL_ON="never", INPUT_ARGS="--as-of 2026-11-01 --store none")
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert annotations(lenient.stdout) == found


def test_action_inputs_reach_listclean(tmp_path):
    export(tmp_path / "exports" / "May list.csv", GOOD)
    export(tmp_path / "exports" / "shop" / "bad.csv", BAD)
    common = {"LISTCLEAN": str(console_script()), "INPUT_FAIL_ON": "never"}

    # Globs (** spans folders), a quoted name with a space, and a file named twice is read once;
    # args are split as a shell would, quotes kept.
    # A pattern that matches nothing beside others that do is only a warning.
    run = action("check", tmp_path, **common, INPUT_FILES='"exports/May list.csv"\nexports/**/*.csv exports/*.xlsx',
                 INPUT_ARGS='--as-of 2026-11-01 --store none --consent-evidence "Shopify admin"')
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[0] == "::warning title=listclean::no file matches exports/*.xlsx"
    assert run.stdout.splitlines()[1] == ("listclean check --format github --fail-on never --as-of 2026-11-01 "
                                          "--store none --consent-evidence Shopify\\ admin -- "
                                          "exports/May\\ list.csv exports/shop/bad.csv")
    assert "consent evidence declared as kept in: Shopify admin" in run.stdout
    assert equation(run.stdout)[0] == len(GOOD) + len(BAD)

    run = action("check", tmp_path, **common, INPUT_FILES="exports/shop/bad.csv", INPUT_POLICY="gdpr",
                 INPUT_CHANNEL="email", INPUT_ARGS="--as-of 2026-11-01 --store none")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "--policy gdpr --channel email" in run.stdout.splitlines()[0]
    assert "CN006" in annotations(run.stdout), "gdpr asks consent for a date"  # the default policy does not


@pytest.mark.parametrize("env, message", [
    ({"INPUT_FILES": "nowhere/*.csv none/*.xlsx"}, "::error title=listclean::no file matches nowhere/*.csv none/*.xlsx"),
    ({"INPUT_FILES": "  \n "}, "::error title=listclean::no files to check"),
    ({"INPUT_FILES": "a.csv", "INPUT_ARGS": "--consent-evidence 'Shopify"}, "::error title=listclean::cannot read the args"),
])
def test_action_input_mistakes_are_annotated_usage_errors(tmp_path, env, message):
    run = action("check", tmp_path, LISTCLEAN="/bin/false", **env)
    assert run.returncode == 2 and message in run.stdout, run.stdout + run.stderr


def test_action_check_passes_listclean_errors_through(tmp_path):
    export(tmp_path / "good.csv", GOOD)
    listclean = str(console_script())
    for env, text in (({"INPUT_FILES": "missing.csv"}, "missing.csv: no such file"),
                      ({"INPUT_FILES": "good.csv", "INPUT_FAIL_ON": "sometimes"}, "--fail-on must be")):
        run = action("check", tmp_path, LISTCLEAN=listclean, **env)
        assert run.returncode == 2 and text in run.stderr, run.stdout + run.stderr


def test_action_install_refuses_an_old_python(tmp_path):
    run = action("install", tmp_path, RUNNER_TEMP=str(tmp_path), GITHUB_ACTION_PATH=str(ROOT), INPUT_PYTHON="false")
    assert run.returncode == 2 and "needs Python 3.11 or later" in run.stdout
    assert not (tmp_path / "listclean-venv").exists()


def test_action_yml_hands_every_input_to_the_script_in_the_environment():
    spec = yaml.safe_load((ROOT / "action.yml").read_text())
    assert spec["runs"]["using"] == "composite"
    steps = spec["runs"]["steps"]
    assert [step["run"] for step in steps] == [f'bash "$GITHUB_ACTION_PATH/.github/listclean-action.sh" {name}'
                                               for name in ("install", "check")]
    env = {name: value for step in steps for name, value in step.get("env", {}).items()}
    # Inputs reach the script through the environment only: never pasted into a script.
    assert {re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value).group(1) for name, value in env.items()
            if name.startswith("INPUT_")} == set(spec["inputs"])
    assert not any("${{" in step["run"] for step in steps)
    script = ACTION_SCRIPT.read_text()
    assert set(re.findall(r"\bINPUT_[A-Z_]+", script)) == {name for name in env if name.startswith("INPUT_")}
    assert env["LISTCLEAN"] == "${{ steps.install.outputs.listclean }}" and steps[0]["id"] == "install"
    assert spec["outputs"]["listclean"]["value"] == "${{ steps.install.outputs.listclean }}"
    assert spec["inputs"]["files"]["required"] is True


# --------------------------------------------------------------------------------- listclean init

#: Settings fields whose default is "not set": listclean.toml shows them commented out, with an example.
UNSET = {"channel", "select", "default_region", "date_format", "as_of", "send_at", "encoding", "sheet",
         "consent_evidence", "store", "dns_cache"}
#: ...and the tables, written empty with a commented example entry.
TABLES = {"map": "column_map", "severity": "severity"}


def defaults() -> dict:
    return dataclasses.asdict(build_settings())


def test_init_writes_every_setting_at_its_default(cli, tmp_path):
    result = cli("init")
    assert result.exit_code == 0, result.output
    written = tmp_path / "listclean.toml"
    text = written.read_text("utf-8")
    data = tomllib.loads(text)
    top_level = text[:re.search(r"^\[", text, re.MULTILINE).start()]  # the tables come last
    commented = set(re.findall(r"^# ([a-z][a-z-]*) = ", top_level, re.MULTILINE))
    # Every key the settings loader knows is there, set or commented out; no other.
    assert set(data) | commented == _PROJECT_KEYS and not set(data) & commented
    assert set(TABLES) <= set(data) and all(data[table] == {} for table in TABLES)
    for name in policy_names():
        assert name in text
    assert max(len(line) for line in text.splitlines()) <= 100
    # Loaded back by the project's own loader, it changes nothing.
    loaded = build_settings(cwd=tmp_path)
    assert loaded.settings_file == str(written)
    assert {**dataclasses.asdict(loaded), "settings_file": None} == defaults()


def test_init_examples_are_valid_settings(cli, tmp_path):
    """Uncommented, each example is read, and sets its setting to something other than the default."""
    cli("init")
    written = tmp_path / "listclean.toml"
    text = written.read_text("utf-8")
    examples = re.findall(r"^# ([\w-]+ = .+)$", text, re.MULTILINE)
    assert len(examples) == len(UNSET) + len(TABLES)
    written.write_text(re.sub(r"^# ([\w-]+ = .+)$", r"\1", text, flags=re.MULTILINE), "utf-8")
    loaded = dataclasses.asdict(build_settings(cwd=tmp_path))
    changed = {name for name, value in defaults().items() if loaded[name] != value} - {"settings_file"}
    assert changed == UNSET | set(TABLES.values())
    assert loaded["as_of"] == dt.date(2026, 11, 1) and loaded["store"] == tmp_path / "suppression.sqlite"
    assert loaded["severity"] == {"ST001": Severity.ERROR} and loaded["column_map"] == {"phone": "Tel. móvil"}


def test_init_refuses_to_overwrite_unless_forced(cli, tmp_path):
    settings = tmp_path / "listclean.toml"
    settings.write_text('channel = "sms"\n')
    refused = cli("init")
    assert refused.exit_code == 2 and "already exists" in refused.output and "--force" in refused.output
    assert settings.read_text() == 'channel = "sms"\n'

    printed = cli("init", "-o", "-")
    assert printed.exit_code == 0 and printed.stdout.startswith("# listclean project settings")
    assert settings.read_text() == 'channel = "sms"\n'

    assert cli("init", "--force").exit_code == 0
    assert settings.read_text() == printed.stdout

    other = cli("init", "-o", tmp_path / "conf" / "team.toml")
    assert other.exit_code == 2 and "team.toml" in other.output and len(other.output.strip().splitlines()) == 1
    (tmp_path / "conf").mkdir()
    assert cli("init", "-o", tmp_path / "conf" / "team.toml").exit_code == 0
    assert (tmp_path / "conf" / "team.toml").read_text() == printed.stdout


# --------------------------------------------------------------------------------- shell completion

def console_script() -> Path:
    script = Path(sys.executable).parent / "listclean"
    assert script.is_file(), "listclean's console script is installed beside this Python"
    return script


def test_shell_completion_shows_installs_and_completes(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "PATH": f"{console_script().parent}{os.pathsep}{os.environ['PATH']}"}
    complete = r'''
        eval "$(listclean --show-completion)"
        complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _listclean_completion listclean; echo "${COMPREPLY[*]}"; }
        complete_words listclean ch
        complete_words listclean policy ""
        complete_words listclean check --fail-o
    '''
    run = subprocess.run(["bash", "-c", complete], env=env, check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["check", "list show", "--fail-on"]

    # typer asks shellingham which shell is the parent; "; exit" keeps bash from exec'ing
    # listclean in its own place, so the answer does not depend on how pytest was started.
    installed = subprocess.run(["bash", "-c", "listclean --install-completion; exit $?"], env=env, check=False,
                               capture_output=True, text=True, timeout=120)
    assert installed.returncode == 0, installed.stderr
    script = tmp_path / ".bash_completions" / "listclean.sh"
    assert "_listclean_completion" in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


def test_completion_options_keep_main_error_handling():
    """The top-level options that completion adds change nothing in how mistakes are reported."""
    env = {**os.environ}
    listclean = str(console_script())
    shown = subprocess.run([listclean, "--help"], env=env, check=False, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "--install-completion" in shown.stdout and "--show-completion" in shown.stdout
    for args, text in ((["--bogus"], "No such option: --bogus"), (["check"], "Missing argument")):
        run = subprocess.run([listclean, *args], env=env, check=False, capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and run.stdout == "", run.stderr
        assert run.stderr.startswith("listclean: error: ") and text in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
