"""Running the assistant: settings from the environment, the launcher of the servers, the nginx
cluster and the terminal chat client."""
