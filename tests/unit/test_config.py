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


def test_an_unknown_database_url_is_refused_without_echoing_it(tmp_path):
    result = run_bot(
        {
            "BOT_TOKEN": "123456:" + "A" * 35,
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": "mysql://root:canary-pass@db/x",
        },
        "check-config",
    )
    assert result.returncode == 2
    assert "canary-pass" not in result.stderr
    assert "DATABASE_URL must start with sqlite:/// or postgresql://" in result.stderr


def test_a_sqlite_database_url_puts_the_file_there(tmp_path):
    from bot.config import StorageSettings

    at = tmp_path / "elsewhere" / "pulse.sqlite3"
    settings = StorageSettings(data_dir=tmp_path, database_url=f"sqlite:///{at}")
    assert settings.db_path == at and not settings.postgres
    assert settings.database().path == at
    default = StorageSettings(data_dir=tmp_path)
    assert default.database().path == tmp_path / "wbpulse.sqlite3"
