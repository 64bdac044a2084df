using Lethe.Catalog;

namespace Lethe.Aws.Configuration;

/// <summary>
/// Physical names of the catalog's resources, read from the environment variables the CDK app (or the local cloud) sets.
/// A missing variable is a deployment error, reported with the variable's name rather than as a null deep inside a call.
/// </summary>
public sealed class ResourceNames
{
    private readonly Func<string, string?> _lookup;

    public ResourceNames(Func<string, string?> lookup)
    {
        _lookup = lookup;
    }

    public static ResourceNames FromEnvironment() => new(Environment.GetEnvironmentVariable);

    /// <summary>Prefix of the KMS aliases Lethe creates at run time (tenant keys): <c>LETHE_RESOURCE_PREFIX</c>, else lethe-{stage}.</summary>
    public static string KeyAliasPrefix() =>
        Environment.GetEnvironmentVariable("LETHE_RESOURCE_PREFIX") is { Length: > 0 } prefix
            ? prefix
            : $"lethe-{Environment.GetEnvironmentVariable("LETHE_STAGE") ?? "aws"}";

    public string Table(TableDefinition table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Require(table.NameVariable, table.LogicalName);
    }

    public string Bucket(BucketDefinition bucket)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        return Require(bucket.NameVariable, bucket.LogicalName);
    }

    public string Key(KmsKeyDefinition key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Require(key.IdVariable, key.LogicalName);
    }

    public string Queue(QueueDefinition queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return Require(queue.UrlVariable, queue.LogicalName);
    }

    public string Topic(TopicDefinition topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return Require(topic.ArnVariable, topic.LogicalName);
    }

    /// <summary>The state machine of a workflow file (<c>deletion</c> → <c>LETHE_WORKFLOW_DELETION</c>), or null when not deployed.</summary>
    public string? Workflow(string workflow)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        return _lookup(WorkflowVariable(workflow)) is { Length: > 0 } arn ? arn
            : _lookup(Variables.WorkflowArnPrefix) is { Length: > 0 } prefix ? prefix + workflow
            : null;
    }

    public static string WorkflowVariable(string workflow) => Variables.Workflow(workflow);

    private string Require(string variable, string logicalName) =>
        _lookup(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"The physical name of {logicalName} is not configured: set {variable}.");
}
