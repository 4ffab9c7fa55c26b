"""The classify contract is total: one output per input line, whatever a line holds."""

from pipeline.classify import contract


def test_a_line_that_breaks_scoring_gets_an_error_and_the_rest_are_scored(tagger, monkeypatch):
    real = contract.classify

    def fragile(texts, tagger, headings=None):
        if any("BOOM" in t for t in texts):
            raise RuntimeError("the encoder fell over")
        return real(texts, tagger, headings=headings)

    monkeypatch.setattr(contract, "classify", fragile)
    lines = ['{"id": 1, "text": "Jobs for local people."}', '{"id": 2, "text": "BOOM"}', "", '{"id": 3, "text": "Cleaner air."}']
    (out,) = list(contract.classify_lines(lines, tagger))
    assert [o.get("id") for o in out] == [1, 2, None, 3]
    assert "scores" in out[0] and "scores" in out[3]
    assert out[1]["error"] == "line 2: could not be scored (RuntimeError)" and "blank" in out[2]["error"]


def test_batches_keep_one_output_per_line_across_batch_edges(tagger):
    lines = [b'{"id": %d, "text": "Training for nurses."}' % i if i % 3 else b"\xff" for i in range(7)]
    out = [o for batch in contract.classify_lines(lines, tagger, batch_size=2) for o in batch]
    assert len(out) == 7 and [("error" in o) for o in out] == [i % 3 == 0 for i in range(7)]
