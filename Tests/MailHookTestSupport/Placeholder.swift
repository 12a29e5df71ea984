enum _PlaceholderMailHookTestSupport {}
