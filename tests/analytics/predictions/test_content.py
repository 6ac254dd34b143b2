from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.predictions.content import ContentCounts, content_counts

BODY = """<html><head><title>Spring</title><style>p { color: red }</style></head>
<body>
  <h1>Spring   is here</h1>
  <p>New &amp; fresh <b>picks</b>.</p>
  <a href="https://shop.example.com/a"><img src="a.jpg" alt="A"></a>
  <img src="spacer.gif">
  <a class="Button primary" href="https://shop.example.com/buy">Shop now</a>
  <a role="button" href="/sale">Sale</a>
  <a name="anchor">no link</a>
  <button>Remind me</button><input type="submit" value="Go"><input type="text">
  <script>var x = "<a href='nope'>";</script>
</body></html>"""


def test_golden_counts():
    # Visible text: "Spring is here New & fresh picks . Shop now Sale no link Remind me"
    assert content_counts(BODY) == ContentCounts(content_length=66, link_count=3,
                                                 image_count=2, cta_count=4)
    assert content_counts("") == ContentCounts(0, 0, 0, 0)
    assert content_counts("Plain text, no markup.").as_tuple() == (22, 0, 0, 0)


def test_broken_markup_is_counted_not_refused():
    assert content_counts('<p>Hi <a href="x">there<img src=y></p><div class="cta-box">'
                          ).as_tuple() == (8, 1, 1, 0)


words = st.text(alphabet="abc xyz", min_size=0, max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["link", "image", "cta", "text"]), words),
                max_size=12))
def test_counts_follow_the_elements_written(parts):
    html = "".join({"link": f'<a href="/{i}">{w}</a>', "image": f'<img src="{i}.png">',
                    "cta": f"<button>{w}</button>", "text": f"<p>{w}</p>"}[kind]
                   for i, (kind, w) in enumerate(parts))
    counts = content_counts(html)
    assert counts.link_count == sum(kind == "link" for kind, _ in parts)
    assert counts.image_count == sum(kind == "image" for kind, _ in parts)
    assert counts.cta_count == sum(kind == "cta" for kind, _ in parts)
    assert counts.content_length <= sum(len(w) + 1 for _, w in parts)
