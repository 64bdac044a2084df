using System.Text.RegularExpressions;
using Lethe.Domain.Policies;

namespace Lethe.Domain.Classification;

public enum ClassificationLevel
{
    Public,
    Internal,
    Confidential,
    Restricted,
}

/// <summary>What a record is, for its handling: the level and whether it touches a GDPR Art. 9 special category.</summary>
public sealed record Classification(ClassificationLevel Level, bool SpecialCategory, IReadOnlyList<PiiKind> Pii)
{
    public string LevelName => Level.ToString().ToLowerInvariant();
}

/// <summary>
/// Classifies a record from its category, the caller's <c>sensitive</c> flag and what the detectors found:
/// restricted for the always-encrypted categories, for <c>sensitive:true</c>, for financial or government identifiers and for
/// special-category content; confidential for contact data and addresses; internal otherwise. Nothing is public by inference.
/// </summary>
public static partial class DataClassifier
{
    private static readonly PiiKind[] RestrictedKinds = [PiiKind.PaymentCard, PiiKind.Iban, PiiKind.UsSsn];

    public static Classification Classify(string category, bool sensitive, IEnumerable<string?> fieldValues)
    {
        ArgumentNullException.ThrowIfNull(fieldValues);
        var values = fieldValues.ToList();
        var pii = PiiDetector.Kinds(values);
        var special = values.Any(v => v is not null && SpecialCategoryTerms().IsMatch(v));
        var level =
            sensitive || special || CategoryName.AlwaysEncrypted.Contains(category) || pii.Any(RestrictedKinds.Contains)
                ? ClassificationLevel.Restricted
                : pii.Count > 0 ? ClassificationLevel.Confidential : ClassificationLevel.Internal;
        return new Classification(level, special, pii);
    }

    /// <summary>Terms of GDPR Art. 9 categories (health, beliefs, orientation, ethnicity, union membership, biometrics, genetics).</summary>
    [GeneratedRegex(@"\b(?:diagnos\w*|therap\w*|medicat\w*|depress\w*|anxiety|pregnan\w*|disabilit\w*|illness|HIV|cancer|religio\w*|church|mosque|synagogue|sexual orientation|gay|lesbian|bisexual|transgender|ethnic\w*|racial|trade union|union member\w*|political party|biometric\w*|fingerprint\w*|genetic\w*|DNA)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SpecialCategoryTerms();
}
