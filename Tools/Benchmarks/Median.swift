/// The middle value of `values` (the upper middle of an even count).
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "a median needs a value")
    return values.sorted()[values.count / 2]
}
