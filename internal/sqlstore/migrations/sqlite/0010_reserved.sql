-- Reserved for another branch of wave 2 (the lead renumbers at merge); intentionally empty.
SELECT 1;
