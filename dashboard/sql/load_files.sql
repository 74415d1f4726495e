-- Every file the build read, rejected and duplicate files first.
select * from meta.load_files order by rejected is null, duplicate_of is null, path
