UPDATE customers
SET password_hash = '$argon2id$v=19$m=65536,t=3,p=4$zLaHl+3fDAJWE0xuz2qInQ$aQ/GAQx8/vWcM4aVoAxA+UNF76H7II9rV7utSZjFiaM'
WHERE email IN ('regular@daebak.test', 'silver@daebak.test', 'gold@daebak.test', 'vip@daebak.test')
  AND password_hash = '$argon2id$v=19$m=19456,t=2,p=1$Mbr9ulsxdOP43sbzYdvI9A$W4bcm4rWUSQhgA/XeyXNER7RgUWHUEnxgeiwoPbh6EY';
