// The OpenAI-compatible chat-completions client and the classifiers built on it live here.
