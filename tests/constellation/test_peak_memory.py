import numpy as np
import pytest

from constellation.peak_memory import PeakMeter, _malloc_trim, give_back_memory, read_status_kb

STATUS = "Name:\tpython\nVmPeak:\t 900000 kB\nVmHWM:\t{hwm} kB\nVmRSS:\t{rss} kB\nThreads:\t1\n"


def _status(path, rss, hwm):
    path.write_text(STATUS.format(rss=rss, hwm=hwm))


def test_reads_rss_and_the_process_peak(tmp_path):
    path = tmp_path / "status"
    _status(path, 2048, 4096)
    assert read_status_kb(path) == (2048, 4096)
    assert read_status_kb(tmp_path / "missing") is None


def test_a_window_counts_a_rise_of_the_process_peak_it_did_not_sample(tmp_path):
    path = tmp_path / "status"
    _status(path, 10240, 10240)
    meter = PeakMeter(status=path)  # not entered: no thread, only the readings windows take themselves
    window = meter.open()
    _status(path, 15360, 30720)  # a 30 MiB spike freed before any reading: only VmHWM saw it
    assert window.restart() == 30.0
    _status(path, 12288, 30720)  # the process peak did not rise again: the restarted window starts at 15 MiB
    assert window.peak_mb() == 15.0
    assert window.close() == 15.0


def test_nested_windows_share_readings(tmp_path):
    path = tmp_path / "status"
    _status(path, 1024, 1024)
    meter = PeakMeter(status=path)
    outer = meter.open()
    _status(path, 5120, 5120)
    inner = meter.open()
    _status(path, 2048, 5120)
    assert inner.close() == 5.0  # opened at 5 MiB resident
    _status(path, 3072, 5120)
    assert outer.close() == 5.0


def test_without_proc_every_peak_is_none(tmp_path):
    with PeakMeter(status=tmp_path / "missing") as meter:
        assert not meter.available
        assert meter.open().close() is None


def test_memory_resident_at_a_reading_stays_in_the_window_after_it_is_freed():
    with PeakMeter() as meter:
        window = meter.open()
        before = window.peak_mb()
        block = np.ones(64 * 2**20 // 8)  # 64 MiB, written so it is resident
        window.peak_mb()  # a reading while it is held (the thread may or may not have taken one)
        del block
        peak = window.close()
    assert before is not None and peak is not None
    assert peak >= before + 60


@pytest.mark.skipif(_malloc_trim() is None, reason="malloc_trim is glibc's")
def test_freed_heap_pages_go_back_to_the_system():
    blocks = [bytes(4096) for _ in range(20_000)]  # 80 MB of heap chunks (above pymalloc, below mmap)
    keep = bytes(4096)  # allocated last, so the free chunks are not at the heap's top, which free() trims
    del blocks
    before = read_status_kb()[0]
    give_back_memory()
    assert read_status_kb()[0] < before - 40 * 1024
    del keep
