-- 在线延期 keeping the encryption key (`[kmc] renewal_new_encryption_key =
-- false`): the new encryption certificate certifies again the key pair of
-- an earlier one, which the KMC re-envelopes to the new signing key
-- (RestoreKeyReq) and indexes under the new certificate number. `renews` is
-- that earlier encryption certificate's serial; NULL for a key made anew.
ALTER TABLE encryption_pairs ADD COLUMN renews TEXT;
