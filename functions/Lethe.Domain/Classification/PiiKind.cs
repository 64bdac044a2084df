namespace Lethe.Domain.Classification;

/// <summary>Kinds of personal data the detectors find; <see cref="PiiKinds.Name"/> is the API's spelling.</summary>
public enum PiiKind
{
    Email,
    Phone,
    PaymentCard,
    Iban,
    UsSsn,
    IpV4,
    IpV6,
}

public sealed record PiiMatch(PiiKind Kind, int Start, int Length);

public static class PiiKinds
{
    public static string Name(PiiKind kind) => kind switch
    {
        PiiKind.Email => "email",
        PiiKind.Phone => "phone",
        PiiKind.PaymentCard => "payment_card",
        PiiKind.Iban => "iban",
        PiiKind.UsSsn => "us_ssn",
        PiiKind.IpV4 => "ipv4",
        PiiKind.IpV6 => "ipv6",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
