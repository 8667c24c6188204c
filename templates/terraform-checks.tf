$header

$matrix

# The smoke test ("Hey Claude!") is a billed request, so it is not a check block (those run at every plan):
# run `vertex-claude-setup smoke-test` after apply.

$body
