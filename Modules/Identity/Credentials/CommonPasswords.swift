/// The most common passwords, lower-cased, which ``PasswordPolicy`` refuses whatever their length.
///
/// Gathered from the published top lists of leaked passwords (SecLists, NordPass, Have I Been Pwned's
/// most frequent entries), with their usual long variants (`password1234`, `qwertyuiop123`) and the local
/// ones a Singapore service attracts (`singapore123`). Short entries are refused by length anyway; they
/// stay so the list still protects a policy configured with a lower minimum.
enum CommonPasswords {
    /// Every entry, lower-cased; the policy compares the lower-cased candidate.
    static let all: Set<String> = [
        "123456", "123456789", "12345678", "password", "qwerty123", "qwerty", "111111", "12345", "1234567", "123123",
        "1234567890", "000000", "abc123", "password1", "iloveyou", "1q2w3e4r", "123321", "666666", "987654321",
        "qwertyuiop", "654321", "555555", "7777777", "1q2w3e4r5t", "123qwe", "zxcvbnm", "1qaz2wsx", "dragon",
        "monkey", "football", "baseball", "letmein", "sunshine", "master", "shadow", "princess", "welcome", "admin",
        "login", "passw0rd", "trustno1", "superman", "batman", "michael", "jennifer", "jordan23", "hunter2",
        "starwars", "whatever", "freedom", "charlie", "donald", "aa123456", "121212", "qazwsx", "112233", "123654",
        "asdfghjkl", "asdfgh", "password123", "password1234", "password12", "password12345", "password123456",
        "passwordpassword", "qwerty12345", "qwerty123456", "qwertyuiop123", "qwertyuiop1234", "1234567890123",
        "123456789012", "12345678910", "123456789a", "1234qwer", "1qaz2wsx3edc", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u8i",
        "zaq12wsx", "iloveyou123", "iloveyou1234", "iloveyou12", "welcome123", "welcome1234", "welcome2024",
        "welcome2025", "admin123", "admin1234", "administrator", "letmein123", "changeme", "changeme123", "default",
        "password!", "p@ssw0rd", "p@ssword", "p@ssw0rd123", "p@ssword123", "passw0rd123", "football123",
        "baseball123", "monkey123", "dragon123", "sunshine123", "princess123", "shadow123", "master123",
        "superman123", "qwerty1234", "abcdef123456", "abcd1234", "abcdefgh", "abcdefghijkl", "abc123456789",
        "asdf1234", "asdfasdfasdf", "qweasdzxc", "qweasdzxc123", "zxcvbnm123", "1qazxsw2", "mypassword",
        "mypassword123", "secret", "secret123", "letmeinplease", "trustno1234", "iloveyouforever", "computer",
        "internet", "whatever123", "starwars123", "pokemon", "pokemon123", "minecraft", "minecraft123", "liverpool",
        "chelsea", "arsenal", "manchester", "singapore", "singapore123", "singapore2024", "singapore2025",
        "singapore65", "sg123456", "merlion123", "lionheart", "11111111", "111111111111", "000000000000",
        "123123123", "123123123123", "987654321000", "1111111111", "0000000000", "aaaaaa", "aaaaaaaaaaaa",
        "qwertyqwerty", "passwordabc", "helloworld", "helloworld123", "hello123", "hello1234", "loveyou", "lovely",
        "loveme888", "888888", "88888888", "123456a", "123456abc", "a123456", "a12345678", "q1w2e3r4",
        "q1w2e3r4t5y6", "1a2b3c4d", "1a2b3c4d5e6f", "blink182", "jessica", "ashley", "nicole", "daniel", "thomas",
        "hannah", "summer", "buster", "soccer", "hockey", "killer", "george", "andrew", "joshua", "matthew",
        "qwertyuiopasdf", "qwertyuiop12", "1234567890qwerty", "qwerty1234567", "asdfghjkl123", "asdfghjkl1234",
        "zxcvbnmasdfg", "1qaz2wsx3edc4rfv", "!qaz2wsx3edc", "qazwsxedcrfv", "qazwsxedc123", "1q2w3e4r5t6y7u",
        "1q2w3e4r5t6y7u8i9o", "password123!", "password1234!", "password2024", "password2025", "password2026",
        "passwordqwerty", "passwordsecure", "mypassword1234", "mysecretpassword", "secretpassword", "supersecret123",
        "changemenow123", "changeme1234", "welcome12345", "welcomewelcome", "welcome@2024", "welcome@2025",
        "letmein12345", "letmeinnow123", "iloveyou12345", "iloveyouiloveyou", "iloveyoubaby", "loveyouforever",
        "ilovemymom123", "ilovemyfamily", "princess12345", "sunshine12345", "football1234", "baseball1234",
        "basketball123", "superman12345", "batman123456", "spiderman123", "starwars1234", "pokemon12345",
        "minecraft1234", "liverpool123", "manchesterunited", "chelsea12345", "arsenal12345", "helloworld1234",
        "hellohello123", "abcdefghijk1", "abcdefg12345", "abc123abc123", "abcabcabcabc", "a1b2c3d4e5f6", "1234512345",
        "123451234512345", "123456123456", "12341234123412", "1122334455", "112233445566", "147258369147",
        "789456123789", "741852963741", "0123456789012", "01234567890", "9876543210987", "adminadmin123",
        "administrator1", "rootpassword", "rootroot1234", "testtest1234", "test12345678", "guest12345678",
        "user12345678", "computer1234", "internet1234", "singapore1234", "singapore2026", "singaporean123",
        "merlion12345", "marinabay123", "orchardroad123", "lionhearted123", "majulahsingapura", "sg1234567890",
        "nationalday2025", "nationalday2026",
    ]
}
