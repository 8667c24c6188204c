"""HCL literals and the ``terraform fmt`` layout the export relies on (rules of hashicorp/hcl hclwrite/format.go)."""

from __future__ import annotations

import hcl2
import pytest

from vertex_claude_setup.export import hcl


def test_a_provider_documentation_example_comes_out_as_terraform_fmt_writes_it() -> None:
    # The provider's own page shows this block unformatted (tabs, ragged `=`).
    messy = ('resource "google_logging_project_bucket_config" "basic" {\n\tproject    = "project_id"\n'
             '\tlocation  = "global"\n\tretention_days = 30\n\tbucket_id = "custom-bucket"\n}')
    assert hcl.fmt(messy) == ('resource "google_logging_project_bucket_config" "basic" {\n'
                              '  project        = "project_id"\n'
                              '  location       = "global"\n'
                              '  retention_days = 30\n'
                              '  bucket_id      = "custom-bucket"\n'
                              '}')


def test_alignment_groups_end_at_blank_lines_comments_blocks_and_multi_line_values() -> None:
    text = "\n".join([
        'a {', 'x = 1', 'longer = 2', '', 'y = 3', '# note', 'zz = 4', 'map = {', 'k = "v"', 'key = "w"', '}',
        'after = 5', 'inner {', 'q = 1', '}', '}'])
    assert hcl.fmt(text) == "\n".join([
        'a {', '  x      = 1', '  longer = 2', '', '  y = 3', '  # note', '  zz = 4', '  map = {', '    k   = "v"',
        '    key = "w"', '  }', '  after = 5', '  inner {', '    q = 1', '  }', '}'])


def test_only_a_lone_equals_sign_outside_strings_assigns() -> None:
    text = "\n".join(['c {', 'condition = a == b || c >= 1 && d <= 2 && e != 3', 'm = { for k, v in x : k => v }',
                      's = "x = y, ${f("}")}"', 'longest_name = 1', '}'])
    assert hcl.fmt(text) == "\n".join([
        'c {', '  condition    = a == b || c >= 1 && d <= 2 && e != 3', '  m            = { for k, v in x : k => v }',
        '  s            = "x = y, ${f("}")}"', '  longest_name = 1', '}'])


def test_trailing_comments_of_consecutive_lines_align() -> None:
    text = "\n".join(["b {", "a = 1 # one", "bbb = 22 # two", "", "c = 3 # alone", "}"])
    assert hcl.fmt(text) == "\n".join(["b {", "  a   = 1  # one", "  bbb = 22 # two", "", "  c = 3 # alone", "}"])


def test_multi_line_lists_indent_their_items() -> None:
    assert hcl.fmt("l {\nignore_changes = [\na,\nb,\n]\n}") == "l {\n  ignore_changes = [\n    a,\n    b,\n  ]\n}"


def test_heredocs_and_block_comments_are_refused() -> None:
    with pytest.raises(ValueError, match="heredocs"):
        hcl.fmt("a = <<EOT\nx\nEOT")
    with pytest.raises(ValueError, match="block comments"):
        hcl.fmt("/* x */")


def test_literals_escape_what_hcl_would_interpret() -> None:
    value = 'say "hi" \\ ${var.x} %{if} \n'
    assert hcl.string(value) == '"say \\"hi\\" \\\\ $${var.x} %%{if} \\n"'
    parsed = hcl2.loads(f"v = {hcl.string(value)}\n")
    assert parsed["v"] == hcl.string(value)  # python-hcl2 reads it back as one string literal
    assert [hcl.literal(v) for v in (True, False, 30, 0.25, 1.0)] == ["true", "false", "30", "0.25", "1.0"]
    assert hcl.literal(["a", 1]) == '["a", 1]'
    assert hcl.literal({"ok_key": "v", "needs quotes": 2}) == '{\nok_key = "v"\n"needs quotes" = 2\n}'
    assert hcl.literal({}) == "{}"
    with pytest.raises(ValueError):
        hcl.literal(float("nan"))


def test_blocks_are_laid_out_by_fmt() -> None:
    text = hcl.block("resource", ["terraform_data", "x"], [
        hcl.attribute("triggers_replace", {"a": 1, "bbb": "two"}), "", hcl.attribute("count", 1)])
    assert hcl.fmt(text) == ('resource "terraform_data" "x" {\n  triggers_replace = {\n    a   = 1\n    bbb = "two"\n'
                             '  }\n\n  count = 1\n}')
    assert hcl2.loads(hcl.fmt(text) + "\n")["resource"]
