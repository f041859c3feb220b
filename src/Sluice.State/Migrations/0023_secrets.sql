-- Sluice state, version 23: secrets at rest (`sluice secrets`, docs/secrets.md). One row per secret, its value
-- encrypted with AES-256-GCM under the master key (SLUICE_MASTER_KEY or a key file, never stored here): a random
-- 96-bit nonce per value, the 128-bit tag after the ciphertext, the secret's name as associated data (a value moved
-- to another name does not decrypt). `key_id` names the master key it was encrypted under (a hash of the key, which
-- reveals nothing of it), so a wrong key and a half-done rotation are told apart from tampering.
CREATE TABLE {schema}.secrets (
    name        text PRIMARY KEY,
    -- 1: AES-256-GCM, associated data 'sluice-secret:v1:' || name
    format      integer NOT NULL DEFAULT 1,
    key_id      text NOT NULL,
    nonce       bytea NOT NULL,
    ciphertext  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
