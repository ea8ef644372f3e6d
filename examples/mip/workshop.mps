NAME          WORKSHOP
OBJSENSE
    MAX
ROWS
 N  profit
 L  carpentry
 L  finishing
COLUMNS
    MARKER                 'MARKER'                 'INTORG'
    chairs    profit               30   carpentry            1
    chairs    finishing             2
    tables    profit               50   carpentry            2
    tables    finishing             1
    MARKER                 'MARKER'                 'INTEND'
RHS
    RHS       carpentry            40   finishing           50
BOUNDS
 LO BND       chairs                0
 LO BND       tables                0
ENDATA
