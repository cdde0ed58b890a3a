import pytest

from tests.e2e.harness import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.wb import FakeWB


@pytest.fixture
async def tg():
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def wb():
    async with FakeWB(rate_scale=0.001, stock_task_delay=1.0) as fake:
        yield fake


@pytest.fixture
async def bot(tmp_path, tg, wb):
    """A running bot, polling the fake Telegram; stopped (SIGTERM) after the test."""
    proc = BotProcess(tmp_path / "data", tg.base_url, tg.token, wb.url_template)
    proc.start()
    try:
        await tg.wait_polling(timeout=60)
    except BaseException:
        await proc.stop()
        raise AssertionError("bot did not start polling:\n" + proc.log()[-3000:]) from None
    yield proc
    code = await proc.stop()
    assert code == 0, proc.log()[-3000:]
