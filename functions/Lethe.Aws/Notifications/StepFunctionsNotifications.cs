using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Notifications;

namespace Lethe.Aws.Notifications;

/// <summary>
/// The notification port as deployed: an execution of workflows/notify.asl.json per notice (the SNS SDK is not on our feed;
/// DESIGN.md has Step Functions publish). The execution is named after the notice, so asking twice sends once: Step Functions
/// refuses a second execution of the same name.
/// </summary>
public sealed class StepFunctionsNotifications(StepFunctionsClient client, string notifyMachineArn) : INotifications
{
    public async Task<bool> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (!notification.IsWellFormed)
        {
            throw new ArgumentException($"Not a notice Lethe sends: {notification.Event} about {notification.RequestId}.", nameof(notification));
        }

        var input = new NoticeState(notification.TenantId, notification.Event, notification.RequestId)
        {
            Ids = notification.Ids.Count == 0 ? null : new Dictionary<string, string>(notification.Ids, StringComparer.Ordinal),
            Occurrence = notification.Occurrence,
            At = Domain.Timestamps.Format(notification.At),
        };
        try
        {
            await client.StartExecutionAsync(
                new StartExecutionRequest(notifyMachineArn, ExecutionName(notification), JsonSerializer.Serialize(input, AwsJsonContext.Default.NoticeState)),
                cancellationToken);
            return true;
        }
        catch (ExecutionAlreadyExistsException)
        {
            return false;
        }
    }

    /// <summary>
    /// <c>notice-{32 hex}</c>: a hash of the tenant and the notice's key (request, event, occurrence), so the name never looks
    /// like a job's <c>{jobId}-{n}</c>, fits the 80 characters Step Functions allows, and names the same notice the same way
    /// wherever it is sent from.
    /// </summary>
    public static string ExecutionName(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{notification.TenantId}|{notification.Key}"));
        return $"notice-{Convert.ToHexStringLower(hash)[..32]}";
    }
}
