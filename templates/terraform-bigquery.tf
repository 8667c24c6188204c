$header

# The BigQuery dataset Vertex AI writes request-response logs to; Vertex AI creates the table
# request_response_logging in it at the first logged request. Rows are kept on a rolling window by the
# default *partition* expiration; no table expiration is set, as that would delete the whole table.
# Settings vertex-claude-setup does not own are left as they are in Google Cloud (ignore_changes).

$body
