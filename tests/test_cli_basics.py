from seoaudit import __version__


def test_version(cli):
    result = cli("--version")
    assert result.code == 0
    assert __version__ in result.stdout


def test_unknown_command_is_a_usage_error(cli):
    result = cli("no-such-command")
    assert result.code == 2
    assert "No such command" in result.stderr
