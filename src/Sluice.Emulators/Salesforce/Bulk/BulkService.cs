using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Emulators.Salesforce.Org;
using Sluice.Emulators.Salesforce.Soql;

namespace Sluice.Emulators.Salesforce.Bulk;

/// <summary>
/// Bulk API 2.0 over the org: ingest jobs (create, CSV uploads, close, background processing through the org's one
/// save path, results) and query jobs (SOQL run in the background, CSV results paged by locator). Records are saved
/// 200 at a time, as Salesforce processes a Bulk batch in chunks of 200, so rules and per-record errors are those of
/// sObject Collections.
/// </summary>
internal sealed class BulkService
{
    /// <summary>Salesforce's cap on one upload: 150 MB (base64); about 100 MB of raw CSV.</summary>
    public const long DefaultMaxUploadBytes = 100_000_000;

    private const int SaveChunk = 200;

    private readonly SalesforceOrg _org;
    private readonly QueryService _queries;
    private readonly ConcurrentDictionary<string, BulkJob> _jobs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<string, string, SaveOptions> _saveOptions;
    private long _sequence;

    /// <param name="saveOptions">The save options for a job's user and change origin (the emulator's per-record lock fault rides on them).</param>
    public BulkService(SalesforceOrg org, QueryService queries, Func<string, string, SaveOptions>? saveOptions = null)
    {
        _org = org;
        _queries = queries;
        _saveOptions = saveOptions ?? ((userId, origin) => new SaveOptions { UserId = userId, ChangeOrigin = origin });
    }

    /// <summary>Largest accepted upload in bytes.</summary>
    public long MaxUploadBytes { get; init; } = DefaultMaxUploadBytes;

    public IEnumerable<BulkJob> Jobs => _jobs.Values.OrderBy(j => j.CreatedDate);

    /// <param name="changeOrigin">The <c>changeOrigin</c> of the changes the job's records make (the creating request's API and client).</param>
    public IngestJob CreateIngest(JsonObject body, string apiVersion, string userId, string changeOrigin = "")
    {
        var objectName = body["object"]?.ToString();
        var operation = body["operation"]?.ToString() ?? "";
        if (string.IsNullOrEmpty(objectName) || !_org.TryGetSchema(objectName, out var schema))
        {
            throw new BulkApiException(400, "INVALIDJOB", $"InvalidJob : Unable to find object: {objectName}");
        }

        if (operation is not ("insert" or "update" or "upsert" or "delete" or "hardDelete"))
        {
            throw new BulkApiException(400, "INVALIDJOB", $"InvalidJob : Invalid operation: {operation}");
        }

        var externalId = body["externalIdFieldName"]?.ToString();
        if (operation == "upsert")
        {
            if (string.IsNullOrEmpty(externalId))
            {
                throw new BulkApiException(400, "INVALIDJOB", $"InvalidJob : External ID was blank for {schema.Name}. An External ID must be specified for upsert.");
            }

            if (!schema.TryGetField(externalId, out var field) || !(field.ExternalId || field.IdLookup))
            {
                throw new BulkApiException(400, "INVALIDJOB", $"InvalidJob : Field name provided, {externalId} does not match an External ID, Salesforce Id, or indexed field for {schema.Name}");
            }

            externalId = field.Name;
        }

        var (delimiter, delimiterName, crlf) = Format(body);
        var job = new IngestJob(NextId(), schema.Name, operation, operation == "upsert" ? externalId : null, delimiter, delimiterName, crlf, apiVersion, userId, _org.Now()) { ChangeOrigin = changeOrigin };
        _jobs[job.Id] = job;
        return job;
    }

    public QueryJob CreateQuery(JsonObject body, string apiVersion, string userId)
    {
        var operation = body["operation"]?.ToString() ?? "query";
        var soql = body["query"]?.ToString();
        if (operation is not ("query" or "queryAll"))
        {
            throw new BulkApiException(400, "INVALIDJOB", $"InvalidJob : Invalid operation: {operation}");
        }

        if (string.IsNullOrWhiteSpace(soql))
        {
            throw new BulkApiException(400, "INVALIDJOB", "InvalidJob : The query is missing");
        }

        // Salesforce checks the query when the job is created.
        SoqlResult checkedQuery;
        try
        {
            checkedQuery = SoqlEvaluator.Execute(SoqlParser.Parse(soql) with { Limit = 0 }, _queries.Source, includeDeleted: false);
        }
        catch (SoqlException e)
        {
            throw new BulkApiException(400, e.ErrorCode, e.Message);
        }

        var (delimiter, delimiterName, crlf) = Format(body);
        var job = new QueryJob(NextId(), checkedQuery.Query.From, operation, soql, delimiter, delimiterName, crlf, apiVersion, userId, _org.Now())
        {
            State = BulkJobState.UploadComplete,
        };
        _jobs[job.Id] = job;
        _ = Task.Run(() => RunQuery(job));
        return job;
    }

    public T Get<T>(string id)
        where T : BulkJob =>
        _jobs.TryGetValue(id, out var job) && job is T typed
            ? typed
            : throw new BulkApiException(404, "NOT_FOUND", "The requested resource does not exist");

    public void Upload(string id, byte[] csv)
    {
        var job = Get<IngestJob>(id);
        Upload(job, BulkUpload.Parse(csv, job.Delimiter, job.Crlf));
    }

    /// <summary>
    /// Reads an upload from <paramref name="body"/>, parsing its records as they arrive (<see cref="BulkUpload"/>), and
    /// adds it to the open job <paramref name="id"/>; a body over <see cref="MaxUploadBytes"/> is refused without being buffered whole.
    /// </summary>
    public async Task UploadAsync(string id, Stream body, CancellationToken ct)
    {
        var job = Get<IngestJob>(id);
        var upload = new BulkUpload(job.Delimiter, job.Crlf);
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            upload.Append(buffer.AsSpan(0, read));
            if (upload.Bytes > MaxUploadBytes)
            {
                throw new BulkApiException(400, "INVALIDBATCH", $"InvalidBatch : The uploaded data is larger than the limit of {MaxUploadBytes} bytes of CSV.");
            }
        }

        upload.End();
        Upload(job, upload);
    }

    private void Upload(IngestJob job, BulkUpload upload)
    {
        lock (job.Sync)
        {
            if (job.State != BulkJobState.Open)
            {
                throw new BulkApiException(409, "INVALIDJOBSTATE", $"Job {job.Id} is not in state Open, it is {job.State}: data can only be uploaded to an open job.");
            }

            if (job.UploadedBytes + upload.Bytes > MaxUploadBytes)
            {
                throw new BulkApiException(400, "INVALIDBATCH", $"InvalidBatch : The uploaded data is larger than the limit of {MaxUploadBytes} bytes of CSV.");
            }

            job.Uploads.Add(upload);
            job.UploadedBytes += upload.Bytes;
            job.SystemModstamp = _org.Now();
        }
    }

    /// <summary>PATCH <c>{"state": "UploadComplete" | "Aborted"}</c>.</summary>
    public BulkJob ChangeState(string id, string? state, bool ingest)
    {
        BulkJob job = ingest ? Get<IngestJob>(id) : Get<QueryJob>(id);
        lock (job.Sync)
        {
            switch (state)
            {
                case BulkJobState.UploadComplete when ingest && job.State == BulkJobState.Open:
                    job.State = BulkJobState.UploadComplete;
                    job.SystemModstamp = _org.Now();
                    _ = Task.Run(() => RunIngest((IngestJob)job));
                    return job;
                case BulkJobState.Aborted when !BulkJobState.IsTerminal(job.State):
                    job.State = BulkJobState.Aborted;
                    job.SystemModstamp = _org.Now();
                    return job;
                case BulkJobState.UploadComplete or BulkJobState.Aborted:
                    throw new BulkApiException(409, "INVALIDJOBSTATE", $"Job {id} is in state {job.State} and cannot change to {state}.");
                default:
                    throw new BulkApiException(400, "INVALIDJOBSTATE", $"Invalid state: {state}");
            }
        }
    }

    public void Delete(string id, bool ingest)
    {
        BulkJob job = ingest ? Get<IngestJob>(id) : Get<QueryJob>(id);
        lock (job.Sync)
        {
            // Salesforce deletes only jobs that are closed: UploadComplete, JobComplete, Aborted or Failed.
            if (job.State is BulkJobState.Open or BulkJobState.InProgress)
            {
                throw new BulkApiException(400, "INVALIDJOBSTATE", $"Job {id} is in state {job.State}: only closed jobs can be deleted.");
            }

            _jobs.TryRemove(id, out _);
        }
    }

    /// <summary>successfulResults, failedResults or unprocessedrecords as CSV.</summary>
    public string Results(string id, string kind)
    {
        var job = Get<IngestJob>(id);
        lock (job.Sync)
        {
            if (kind != "unprocessedrecords" && job.State is BulkJobState.Open or BulkJobState.UploadComplete or BulkJobState.InProgress)
            {
                throw new BulkApiException(400, "INVALIDJOBSTATE", $"Job {id} is not complete: its state is {job.State}.");
            }

            var csv = new StringBuilder();
            switch (kind)
            {
                case "successfulResults":
                    BulkCsvWriter.AppendRow(csv, ["sf__Id", "sf__Created", .. job.Header], ',', "\n");
                    foreach (var row in job.Successful)
                    {
                        BulkCsvWriter.AppendRow(csv, [row.Id, row.Created ? "true" : "false", .. row.Cells], ',', "\n");
                    }

                    break;
                case "failedResults":
                    BulkCsvWriter.AppendRow(csv, ["sf__Id", "sf__Error", .. job.Header], ',', "\n");
                    foreach (var row in job.Failed)
                    {
                        BulkCsvWriter.AppendRow(csv, [row.Id ?? "", row.Error, .. row.Cells], ',', "\n");
                    }

                    break;
                default:
                    BulkCsvWriter.AppendRow(csv, job.Header, ',', "\n");
                    foreach (var row in job.Unprocessed)
                    {
                        BulkCsvWriter.AppendRow(csv, row, ',', "\n");
                    }

                    break;
            }

            return csv.ToString();
        }
    }

    /// <summary>One page of a query job's results and the locator of the next (<c>null</c> on the last page).</summary>
    public (string Csv, int Count, string Locator) QueryResults(string id, string? locator, int? maxRecords)
    {
        var job = Get<QueryJob>(id);
        lock (job.Sync)
        {
            if (job.State != BulkJobState.JobComplete)
            {
                throw new BulkApiException(400, "INVALIDJOBSTATE", $"Job {id} is not complete: its state is {job.State}.");
            }

            var offset = 0;
            if (!string.IsNullOrEmpty(locator) && locator != "null"
                && !int.TryParse(Encoding.UTF8.GetString(Convert.FromBase64String(locator)), NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            {
                throw new BulkApiException(400, "INVALIDLOCATOR", $"Invalid locator: {locator}");
            }

            var size = maxRecords is > 0 ? maxRecords.Value : int.MaxValue;
            var end = (int)Math.Min(job.Lines.Count, (long)offset + size);
            var csv = new StringBuilder(job.HeaderLine);
            for (var i = offset; i < end; i++)
            {
                csv.Append(job.Lines[i]);
            }

            var next = end < job.Lines.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes(end.ToString(CultureInfo.InvariantCulture))) : "null";
            return (csv.ToString(), end - offset, next);
        }
    }

    private void RunIngest(IngestJob job)
    {
        var clock = Stopwatch.StartNew();
        lock (job.Sync)
        {
            if (job.State != BulkJobState.UploadComplete)
            {
                return;
            }

            job.State = BulkJobState.InProgress;
            job.SystemModstamp = _org.Now();
        }

        try
        {
            // The uploads were parsed as they arrived; malformed data fails the job now, as it is processed.
            var rows = new List<string[]>();
            List<BulkUpload> uploads;
            lock (job.Sync)
            {
                uploads = [.. job.Uploads];
                job.Uploads.Clear();
            }

            foreach (var upload in uploads)
            {
                var header = upload.Header ?? throw new BulkCsvException(upload.Error ?? "ClientInputError : The uploaded data has no header row");
                if (job.Header.Length == 0)
                {
                    job.Header = header;
                }

                rows.AddRange(upload.Rows);
                if (upload.Error is not null)
                {
                    throw new BulkCsvException(upload.Error);
                }
            }

            var columns = ResolveHeader(job);
            for (var start = 0; start < rows.Count; start += SaveChunk)
            {
                lock (job.Sync)
                {
                    if (job.State == BulkJobState.Aborted)
                    {
                        job.Unprocessed.AddRange(rows.Skip(start));
                        return;
                    }
                }

                var chunk = rows.GetRange(start, Math.Min(SaveChunk, rows.Count - start));
                SaveChunkOf(job, columns, chunk);
            }

            lock (job.Sync)
            {
                if (job.State == BulkJobState.InProgress)
                {
                    job.State = BulkJobState.JobComplete;
                }
            }
        }
        catch (BulkCsvException e)
        {
            lock (job.Sync)
            {
                job.State = BulkJobState.Failed;
                job.ErrorMessage = e.Message;
            }
        }
        finally
        {
            lock (job.Sync)
            {
                job.TotalProcessingTime = clock.ElapsedMilliseconds;
                job.SystemModstamp = _org.Now();
            }
        }
    }

    /// <summary>Checks every column against the object (a relationship column names a parent's field) and finds <c>Id</c>.</summary>
    private string[] ResolveHeader(IngestJob job)
    {
        _org.TryGetSchema(job.Object, out var schema);
        var columns = new string[job.Header.Length];
        for (var i = 0; i < job.Header.Length; i++)
        {
            var name = job.Header[i].Trim();
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            var known = dot > 0
                ? schema.TryGetRelationship(name[..dot], out var reference) && _org.TryGetSchema(reference.ReferenceTo[0], out var parent) && parent.TryGetField(name[(dot + 1)..], out _)
                : schema.TryGetField(name, out _);
            if (!known)
            {
                throw new BulkCsvException($"InvalidBatch : Field name not found : {name}");
            }

            columns[i] = name;
        }

        return columns;
    }

    private void SaveChunkOf(IngestJob job, string[] columns, List<string[]> rows)
    {
        var requests = new List<SaveRequest>(rows.Count);
        var positions = new List<int>(rows.Count);
        var rejected = new List<BulkResultRow>();
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            if (row.Length != columns.Length)
            {
                rejected.Add(new BulkResultRow(null, false, $"TooManyColumns:The record has {row.Length} fields and the header {columns.Length}: --", row));
                continue;
            }

            requests.Add(ToRequest(job, columns, row));
            positions.Add(r);
        }

        var results = requests.Count == 0 ? [] : _org.Save(requests, _saveOptions(job.CreatedById, job.ChangeOrigin));
        if (job.Operation == "hardDelete")
        {
            // A hard delete skips the recycle bin: queryAll no longer finds the records, only getDeleted's log does.
            _org.Purge(results.Where(r => r.Success).Select(r => r.Id!));
        }

        lock (job.Sync)
        {
            for (var i = 0; i < results.Count; i++)
            {
                var result = results[i];
                var cells = rows[positions[i]];
                if (result.Success)
                {
                    job.Successful.Add(new BulkResultRow(result.Id, result.Created, null, cells));
                }
                else
                {
                    var error = result.Errors[0];
                    job.Failed.Add(new BulkResultRow(result.Id, false, $"{error.StatusCode}:{error.Message}:{string.Join(',', error.Fields)} --", cells));
                }
            }

            job.Failed.AddRange(rejected);
            job.NumberRecordsProcessed += rows.Count;
            job.NumberRecordsFailed += rejected.Count + results.Count(r => !r.Success);
            job.SystemModstamp = _org.Now();
        }
    }

    private static SaveRequest ToRequest(IngestJob job, string[] columns, string[] row)
    {
        string? id = null;
        var fields = new List<KeyValuePair<string, JsonNode?>>(columns.Length);
        var keepId = job.Operation == "insert" || string.Equals(job.ExternalIdFieldName, "Id", StringComparison.OrdinalIgnoreCase);
        for (var i = 0; i < columns.Length; i++)
        {
            var cell = row[i];
            if (string.Equals(columns[i], "Id", StringComparison.OrdinalIgnoreCase))
            {
                id = cell.Length == 0 ? null : cell;
                if (!keepId || cell.Length == 0)
                {
                    continue;
                }
            }

            // An empty cell leaves the field as it is; #N/A sets it to null.
            if (cell.Length == 0)
            {
                continue;
            }

            fields.Add(new(columns[i], cell == "#N/A" ? null : JsonValue.Create(cell)));
        }

        return job.Operation switch
        {
            "insert" => new SaveRequest { Operation = SaveOperation.Insert, ObjectName = job.Object, Fields = fields },
            "update" => new SaveRequest { Operation = SaveOperation.Update, ObjectName = job.Object, Id = id ?? "", Fields = fields },
            "upsert" => new SaveRequest { Operation = SaveOperation.Upsert, ObjectName = job.Object, ExternalIdField = job.ExternalIdFieldName, Fields = fields },
            _ => new SaveRequest { Operation = SaveOperation.Delete, ObjectName = job.Object, Id = id ?? "" },
        };
    }

    private void RunQuery(QueryJob job)
    {
        var clock = Stopwatch.StartNew();
        lock (job.Sync)
        {
            if (job.State != BulkJobState.UploadComplete)
            {
                return;
            }

            job.State = BulkJobState.InProgress;
        }

        try
        {
            var result = SoqlEvaluator.Execute(job.Query, _queries.Source, job.Operation == "queryAll");
            var header = new StringBuilder();
            var names = result.Columns.Select(c => c.Name).ToArray();
            BulkCsvWriter.AppendRow(header, names, job.Delimiter, job.LineEnding);
            var lines = new List<string>(result.Rows.Count);
            var line = new StringBuilder();
            foreach (var row in result.Rows)
            {
                line.Clear();
                BulkCsvWriter.AppendRow(line, result.Columns.Select(c => c.Read(row, _queries.Source) is { } value ? SoqlProjection.FormatCsv(value) : null), job.Delimiter, job.LineEnding);
                lines.Add(line.ToString());
            }

            lock (job.Sync)
            {
                job.HeaderLine = header.ToString();
                job.Lines.AddRange(lines);
                job.NumberRecordsProcessed = lines.Count;
                if (job.State == BulkJobState.InProgress)
                {
                    job.State = BulkJobState.JobComplete;
                }
            }
        }
        catch (SoqlException e)
        {
            lock (job.Sync)
            {
                job.State = BulkJobState.Failed;
                job.ErrorMessage = e.Message;
            }
        }
        finally
        {
            lock (job.Sync)
            {
                job.TotalProcessingTime = clock.ElapsedMilliseconds;
                job.SystemModstamp = _org.Now();
            }
        }
    }

    private static (char Delimiter, string Name, bool Crlf) Format(JsonObject body)
    {
        var delimiterName = body["columnDelimiter"]?.ToString() ?? "COMMA";
        if (!BulkDelimiters.TryParseColumnDelimiter(delimiterName, out var delimiter))
        {
            throw new BulkApiException(400, "INVALIDJOB", $"InvalidJob : Invalid columnDelimiter: {delimiterName}");
        }

        var lineEnding = body["lineEnding"]?.ToString();
        if (!BulkDelimiters.TryParseLineEnding(lineEnding, out var crlf))
        {
            throw new BulkApiException(400, "INVALIDJOB", $"InvalidJob : Invalid lineEnding: {lineEnding}");
        }

        return (delimiter, delimiterName.ToUpperInvariant(), crlf);
    }

    private string NextId() => SalesforceId.Create("750", Interlocked.Increment(ref _sequence));
}
