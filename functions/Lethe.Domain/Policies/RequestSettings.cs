using System.Text.RegularExpressions;

namespace Lethe.Domain.Policies;

/// <summary>Who must approve a new deletion or export before it runs (API.md, Approval).</summary>
public enum ApprovalPolicy
{
    /// <summary>Requests start at once.</summary>
    None,

    /// <summary>One tenant admin approves (the submitter may, when they are one).</summary>
    One,

    /// <summary>A tenant admin other than the submitter approves: the approver's <c>sub</c> differs from the submitter's.</summary>
    FourEyes,
}

public static class ApprovalPolicies
{
    public static string Name(ApprovalPolicy policy) => policy switch
    {
        ApprovalPolicy.One => "one",
        ApprovalPolicy.FourEyes => "four-eyes",
        _ => "none",
    };

    public static ApprovalPolicy? Parse(string? name) => name switch
    {
        "none" => ApprovalPolicy.None,
        "one" => ApprovalPolicy.One,
        "four-eyes" => ApprovalPolicy.FourEyes,
        _ => null,
    };
}

/// <summary>
/// How a tenant runs its privacy requests (API.md, <c>PUT …/settings/requests</c>): the approval policy, whether approvals pause
/// while a request is failed, the deadline every deletion and export is held to, and who is told by e-mail.
/// </summary>
public sealed partial record RequestSettings(ApprovalPolicy Approval, bool PauseApprovalsOnFailure, IsoDuration RequestDeadline, IReadOnlyList<string> NotificationEmails)
{
    /// <summary>GDPR Art. 12(3): one month. Also the shortest deadline: an erasure takes its recovery window and purge budget by design.</summary>
    public static readonly IsoDuration DefaultDeadline = IsoDuration.FromDays(30);

    /// <summary>GDPR Art. 12(3): the month may be extended by two further months.</summary>
    public static readonly IsoDuration MaximumDeadline = IsoDuration.FromDays(90);

    public const int MaxEmails = 10;

    public const int MaxEmailLength = 254;

    public static RequestSettings Default { get; } = new(ApprovalPolicy.None, false, DefaultDeadline, []);

    /// <summary>
    /// Validates <c>PUT …/settings/requests</c>; omitted fields take their defaults (a PUT states the whole policy). Every error
    /// keyed by its field (<c>approval</c>, <c>requestDeadline</c>, <c>notifications.emails[1]</c>); no settings when there is any.
    /// </summary>
    public static (RequestSettings? Settings, IReadOnlyDictionary<string, string[]> Errors) Validate(
        string? approval, bool? pauseApprovalsOnFailure, string? requestDeadline, IReadOnlyList<string?>? emails)
    {
        var errors = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        var policy = approval is null ? ApprovalPolicy.None : ApprovalPolicies.Parse(approval);
        if (policy is null)
        {
            errors["approval"] = ["approval is none, one or four-eyes."];
        }

        var deadline = DefaultDeadline;
        if (requestDeadline is not null)
        {
            if (!IsoDuration.TryParse(requestDeadline, out deadline))
            {
                errors["requestDeadline"] = [$"'{requestDeadline}' is not an ISO 8601 duration such as P30D."];
            }
            else if (deadline.TotalDays < DefaultDeadline.TotalDays || deadline.TotalDays > MaximumDeadline.TotalDays)
            {
                errors["requestDeadline"] = [$"A request deadline is {DefaultDeadline} to {MaximumDeadline}: an erasure needs its {LifecyclePolicy.RecoveryWindow.TotalDays}-day recovery window and a day to purge, and the law allows at most three months."];
            }
        }

        var addresses = new List<string>();
        if (emails is { Count: > MaxEmails })
        {
            errors["notifications.emails"] = [$"At most {MaxEmails} addresses; {emails.Count} were given."];
        }
        else
        {
            for (var i = 0; i < (emails?.Count ?? 0); i++)
            {
                var email = emails![i]?.Trim();
                if (email is null || email.Length > MaxEmailLength || !EmailShape().IsMatch(email))
                {
                    errors[$"notifications.emails[{i}]"] = ["Not an e-mail address (name@domain.tld, at most 254 characters)."];
                }
                else if (addresses.Contains(email, StringComparer.OrdinalIgnoreCase))
                {
                    errors[$"notifications.emails[{i}]"] = [$"{email} is listed twice."];
                }
                else
                {
                    addresses.Add(email);
                }
            }
        }

        return errors.Count > 0
            ? (null, errors)
            : (new RequestSettings(policy!.Value, pauseApprovalsOnFailure ?? false, deadline, addresses), errors);
    }

    /// <summary>Whether <paramref name="other"/> states the same policy (no change is journaled for a repeated PUT).</summary>
    public bool SameAs(RequestSettings other) =>
        other is not null && Approval == other.Approval && PauseApprovalsOnFailure == other.PauseApprovalsOnFailure
        && RequestDeadline.TotalDays == other.RequestDeadline.TotalDays && NotificationEmails.SequenceEqual(other.NotificationEmails, StringComparer.Ordinal);

    // One @, no spaces or control characters, a dot in the domain: SNS checks deliverability by its confirmation e-mail.
    [GeneratedRegex(@"^[^@\s\p{Cc}]+@[^@\s\p{Cc}]+\.[^@\s\p{Cc}.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailShape();
}
