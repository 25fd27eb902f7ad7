/// The words and phrases a statement is checked for, by language: the data behind ``TextCheck``.
///
/// To extend: add a word or phrase to a language's list (lower case; a phrase is words separated
/// by spaces and matches those words in a row, across line breaks too), or add a language as a
/// new entry. Every list applies to every statement, whatever the playbook's language, since a
/// team writes to an audience in the audience's language. Matching is case-insensitive and on
/// whole words only ("likely" does not match "unlikely").
public enum WordLists {
    /// Words that present a guess as fact, or a cause before it is known.
    public static let speculation: [(language: String, words: [String])] = [
        ("en", ["probably", "likely", "surely", "must have", "apparently", "allegedly", "we believe", "it seems"]),
        ("nl", ["vermoedelijk", "waarschijnlijk", "vast", "ongetwijfeld", "blijkbaar", "lijkt erop"]),
    ]
}
