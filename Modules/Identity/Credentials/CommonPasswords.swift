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
    ]
}
