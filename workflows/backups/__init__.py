"""数据备份与灾备: consistent snapshots of the database and the media folder, encrypted, kept off-site, restored and
verified. See docs/operations.md."""
