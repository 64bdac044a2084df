using System.Globalization;
using System.Text.Json;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Notifications;

namespace Lethe.Aws.Notifications;

/// <summary>The input of workflows/email-subscriptions.asl.json: the tenant, nothing else.</summary>
public sealed record EmailSubscriptionsInput(string TenantId);

/// <summary>
/// The e-mail subscriptions port as deployed: an execution of workflows/email-subscriptions.asl.json named
/// <c>{tenantId}-emails-{time}</c>. Two runs at once are harmless: SNS answers a repeated subscription with the same ARN, and a
/// removal of one gone already counts as removed.
/// </summary>
public sealed class StepFunctionsEmailSubscriptions(StepFunctionsClient client, string machineArn, TimeProvider clock) : IEmailSubscriptions
{
    public async Task StartAsync(string tenantId, CancellationToken cancellationToken)
    {
        var name = $"{tenantId}-emails-{clock.GetUtcNow().ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture)}";
        try
        {
            await client.StartExecutionAsync(
                new StartExecutionRequest(machineArn, name, JsonSerializer.Serialize(new EmailSubscriptionsInput(tenantId), AwsJsonContext.Default.EmailSubscriptionsInput)),
                cancellationToken);
        }
        catch (ExecutionAlreadyExistsException)
        {
            // Started in the same millisecond for the same tenant: that run works from the same stored tenant.
        }
    }
}
