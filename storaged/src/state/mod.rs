//! Persisted desired state under the state directory: atomic, versioned, migrated.
