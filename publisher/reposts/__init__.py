"""转载任务: reposts mandated by a higher body, the item that carries them, the evidence per account, 转载率."""
