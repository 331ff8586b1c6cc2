-- A marker is one upload (issue #7): its identity is a version (S3 VersionId; LastModified + ETag on
-- an unversioned bucket; mtime ns + size + inode in a folder), no longer the ETag that every empty
-- .SUCCESS shares.

ALTER TABLE stockflow.markers RENAME COLUMN etag TO version;

-- Old rows keep their runs' history. Their ETags are never produced by a listing again; the prefix
-- says what they are, and marks the keys the next scan below must not fire.
UPDATE stockflow.markers SET version = 'etag:' || version;

-- Upgrade without re-firing: in a bucket watched before today every marker still there lists with a
-- new-style version its rows do not have, so the next scan would fire them all again. Instead that
-- scan (one per bucket, then the flag is cleared) takes a marker whose key has an 'etag:' row as
-- history, while markers under keys never seen (a new batch uploaded during the upgrade) still fire.
-- The price: a re-upload of an already-known key made while the watcher was down is not fired
-- (on S3 the old ETag identity could not see those either); start such a run by hand.
ALTER TABLE stockflow.watched_buckets ADD COLUMN etag_era boolean NOT NULL DEFAULT false;
UPDATE stockflow.watched_buckets SET etag_era = true;
COMMENT ON COLUMN stockflow.watched_buckets.etag_era IS
  'Watched before markers had versions: the next scan records markers under keys with etag: rows as history';
