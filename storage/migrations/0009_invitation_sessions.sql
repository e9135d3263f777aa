-- Version 9: honest response rates. A survey session is "invited" when an invitation started
-- it (invitations.session_id) and "self-started" otherwise (/feedback, a deep link); the digest
-- tells them apart per window through this index instead of scanning invitations.
CREATE INDEX invitations_session ON invitations (session_id) WHERE session_id IS NOT NULL;
