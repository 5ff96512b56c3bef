"""Channel ``wechat``: a WeChat Official Account (微信公众号), its API client, content adaptation and emulator."""
