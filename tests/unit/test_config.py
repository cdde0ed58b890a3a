from tests.e2e.harness import run_cli as run_bot


def test_missing_bot_token_is_one_line_and_exit_2(tmp_path):
    result = run_bot({"DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["wbpulse: configuration error: BOT_TOKEN is required"]


def test_malformed_bot_token_is_refused_without_echoing_it(tmp_path):
    result = run_bot({"BOT_TOKEN": "not-a-token-canary", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "not-a-token-canary" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_config_accepts_a_valid_environment(tmp_path):
    result = run_bot(
        {"BOT_TOKEN": "123456:" + "A" * 35, "DATA_DIR": str(tmp_path)}, "check-config"
    )
    assert result.returncode == 0, result.stderr
    assert "ok:" in result.stdout
