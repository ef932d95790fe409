import Foundation

/// An upload refused under reject-on-any-error: at least one feature was rejected or repaired.
/// Carries the whole validation report, so the uploader sees every finding at once.
public struct ValidationFailure: Error, CustomStringConvertible, Sendable {
    /// The report of the refused file (version 0: nothing was written).
    public var report: ImportReport
    /// The uploaded file's name.
    public var fileName: String

    public var description: String {
        let findings = (report.rejections + report.repairs).map { "\($0.count) x \($0.reason)" }
        return "\(fileName): refused (reject-on-any-error): \(report.featuresRejected) of \(report.featuresRead) features rejected, "
            + "\(report.featuresRepaired) repaired: \(findings.prefix(5).joined(separator: "; "))"
            + (findings.count > 5 ? "; ... (see the report)" : "")
            + ". Fix the file, or upload with errors=repair to keep the valid and repairable features."
    }
}
