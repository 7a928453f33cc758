"""`make eval` runs in CI too: the understanding layer stays above its floors."""

from eval import run


def test_make_eval_is_above_its_floors(minilm, capsys):
    code = run.main([], embeddings=minilm)
    out = capsys.readouterr().out
    summary = out.strip().splitlines()[-1]
    assert code == 0, out
    assert summary.startswith("eval: intents ") or "below the floors" not in out
    lines = [line for line in out.splitlines() if line.startswith("eval: intents")]
    n = int(lines[0].split()[2])
    assert n >= 600
