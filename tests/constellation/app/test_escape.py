from constellation.app.escape import html_text, hub_url, md


def test_markdown_escaping_makes_markup_literal():
    assert md("**bold** [x](javascript:alert(1))") == r"\*\*bold\*\* \[x\]\(javascript\:alert\(1\)\)"
    assert md("$x^2$ <img src=x>") == r"\$x\^2\$ \<img src\=x\>"
    assert md("line\nbreak   spaces") == "line break spaces"
    assert md(None) == ""


def test_html_escaping():
    assert html_text('<script>alert("x")</script>') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert html_text(None) == ""


def test_hub_url_percent_encodes():
    assert hub_url("meta-llama/Llama-3-8B") == "https://huggingface.co/meta-llama/Llama-3-8B"
    assert hub_url("a/b c)") == "https://huggingface.co/a/b%20c%29"
